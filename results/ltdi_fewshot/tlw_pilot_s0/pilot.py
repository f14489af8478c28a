# pilot: the function-space generator's task-loss weight (1 = function_space) at 5w1s, quick preset
import sys, torch
torch.set_num_threads(1)
from ltdi_workbench import ltdi_study as L
seed = int(sys.argv[1]); ws = [float(x) for x in sys.argv[2].split(',')]
names = []
for w in ws:
    n = f"fs_w{w:g}"; L.VARIANTS[n] = dict(L.VARIANTS['function_space'], task_loss_weight=w); names.append(n)
L.fewshot_study('quick', f'/tmp/pilot7/tlw_s{seed}_{sys.argv[2]}', seed=seed, ways=(5,), shots=(1,), variants=tuple(names),
                baselines=False, ddim_rows=(), progress=False, overwrite=True, device='cpu')
