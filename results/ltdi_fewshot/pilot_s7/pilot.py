# pilot (not a record): does the x0 clip in the task-loss path (1.5 x the largest target) hold the function-space
# generator below its non-diffusion control at 5w1s? seed 7, quick preset, test episodes of seed 7 only
import sys, torch
torch.set_num_threads(1)
from ltdi_workbench import ltdi_study as L
L.VARIANTS['fs_tl3_clip50'] = dict(L.VARIANTS['function_space_tl3'], clip=50.0)
L.fewshot_study('quick', '/tmp/pilot7/clip_s7', seed=7, ways=(5,), shots=(1,),
                variants=('function_space_tl3', 'fs_tl3_clip50', 'taskloss_direct'),
                baselines=False, ddim_rows=(), progress=False, overwrite=True, device='cpu')
