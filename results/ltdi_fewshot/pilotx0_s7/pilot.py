# pilot (not a record of the goal): the function-space generator x0-parametrised (`function_space_x0`) against the
# eps-parametrised one (`function_space_tl3`, in pilot_s7: same seed, encoder and episodes) and the control;
# seed 7, quick preset, 5-way 1-shot
import torch
torch.set_num_threads(1)
from ltdi_workbench import ltdi_study as L
L.fewshot_study('quick', '/tmp/pilot7/x0_s7', seed=7, ways=(5,), shots=(1,), variants=('function_space_x0',),
                baselines=False, ddim_rows=(), progress=False, overwrite=True, device='cpu')
