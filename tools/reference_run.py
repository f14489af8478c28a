"""Run one study command into a results folder and stamp the run's environment into its params.json.

    python tools/reference_run.py results/ltdi_fewshot/quick_5way -- ltdi fewshot --preset quick --ways 5 --out {out}

`{out}` in the command is replaced by the folder. After the command succeeds, params.json gains a `run` entry:
the command as run, the commit (and whether the tree was dirty), torch and Python versions, device, threads and
wall seconds, so RESULTS.md can say what made every number. Studies that stamp their own `run` entry keep it.
"""
import json, os, platform, shlex, subprocess, sys, time
from pathlib import Path


def git(*args):
    try: return subprocess.run(['git', *args], capture_output=True, text=True, check=True).stdout.strip()
    except Exception: return ''


def main(argv):
    if '--' not in argv or argv.index('--') != 1:
        sys.exit('usage: reference_run.py OUT_DIR -- COMMAND ... ({out} in COMMAND is replaced by OUT_DIR)')
    out = Path(argv[0]); cmd = [a.replace('{out}', str(out)) for a in argv[2:]]
    if (out / 'metrics.json').exists(): sys.exit(f'{out} already holds metrics.json: remove it first')
    out.mkdir(parents=True, exist_ok=True)
    threads = os.environ.get('LTDI_THREADS', '1')
    env = {**os.environ, 'LTDI_THREADS': threads, 'OMP_NUM_THREADS': threads, 'MPLBACKEND': 'Agg'}
    commit, dirty = git('rev-parse', 'HEAD'), bool(git('status', '--porcelain', '--', 'ltdi_workbench', 'nbs'))
    t0 = time.time()
    with open(out / 'log.txt', 'w') as log:
        r = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    wall = time.time() - t0
    if r.returncode: sys.exit(f'command failed ({r.returncode}); see {out / "log.txt"}')
    import torch
    p = out / 'params.json'
    params = json.loads(p.read_text()) if p.exists() else {}
    run = params.setdefault('run', dict(command=shlex.join(cmd), commit=commit[:12], dirty=dirty, torch=torch.__version__,
                                        python=platform.python_version(), device='cpu', threads=int(threads),
                                        machine=f'{os.cpu_count()}-core CPU ({platform.machine()})', wall_seconds=round(wall, 1)))
    if not run.get('command'): run['command'] = shlex.join(cmd)   # a study run inside a notebook kernel cannot know its command line
    p.write_text(json.dumps(params, indent=1, default=str))
    for f in out.iterdir():   # records only: no checkpoints, trajectories or executed notebooks
        if f.suffix in ('.pt', '.ipynb'): f.unlink()
    print(f'{out}: {wall:.0f}s')


if __name__ == '__main__':
    main(sys.argv[1:])
