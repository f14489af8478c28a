"""Execute a notebook's code cells in-process, papermill style, where papermill is not installed (e.g. a GPU box).

    python tools/run_nb.py nbs/experiments/meta_baselines.ipynb -p preset='"quick"' -p device='"cuda"'

Each `-p name=value` is a Python expression assigned after the cell tagged `parameters`; cells tagged
`skip-execution` are skipped. Runs with the notebook's folder as working directory, like nbdev_test.
Only the standard library is needed beside the project.
"""
import json, os, sys, time, argparse
from pathlib import Path

def run(path, params):
    nb = json.loads(Path(path).read_text())
    ns = {'__name__': '__main__', 'display': lambda *a, **k: print(*a)}
    t0 = time.time()
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code': continue
        tags = c.get('metadata', {}).get('tags', [])
        src = ''.join(c['source'])
        if 'skip-execution' in tags or src.lstrip().startswith('#| hide\nimport nbdev'): continue
        src = '\n'.join(l for l in src.split('\n') if not l.lstrip().startswith(('%', '!')))
        exec(compile(src, f'{path}#cell{i}', 'exec'), ns)
        if 'parameters' in tags:
            for name, expr in params: ns[name] = eval(expr, ns)
    print(f'[run_nb] {path} finished in {time.time() - t0:.1f} s', flush=True)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('notebook'); ap.add_argument('-p', action='append', default=[])
    a = ap.parse_args()
    params = [tuple(p.split('=', 1)) for p in a.p]
    nb = Path(a.notebook).resolve(); os.chdir(nb.parent); sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    run(nb, params)
