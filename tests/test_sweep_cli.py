"""`sweep` / `results` / `report` as real processes: exit statuses, the failure listing on stderr, the files.

The subcommands come from `ltdi_workbench.sweep.add_cli`. The end-to-end test drives them from a minimal argparse
program (the same function `ltdi` calls, without the start-up cost of every study module); the rest runs the
installed `ltdi` console script, which must list them (a broken `ltdi` fails here, it is never skipped).
"""
import json, re, subprocess, sys
from pathlib import Path
import nbformat

LTDI = str(Path(sys.executable).parent / 'ltdi')
MINI = ("import argparse, sys\nfrom ltdi_workbench.sweep import add_cli\n"
        "ap = argparse.ArgumentParser(prog='ltdi'); add_cli(ap.add_subparsers(dest='command'))\n"
        "a = ap.parse_args(sys.argv[1:]); sys.exit(a.func(a))")


def tiny_notebook(path, kernelspec=True):
    nb = nbformat.v4.new_notebook()            # nbformat writes no kernelspec: papermill could not run it
    if kernelspec: nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    p = nbformat.v4.new_code_cell("shots = 1  # swept\nseed = 0\nout_dir = 'runs/tiny'")
    p.metadata['tags'] = ['parameters']
    nb.cells = [p, nbformat.v4.new_code_cell(
        "import json, os\n"
        "if shots == 3: raise RuntimeError('three shots are not supported')\n"
        "os.makedirs(out_dir, exist_ok=True)\n"
        "json.dump([dict(experiment='tiny', method='m', dataset='d', ways=5, shots=shots, seed=seed, metric='accuracy',\n"
        "                value=0.5 + 0.1 * shots, ci95=0.01)], open(os.path.join(out_dir, 'metrics.json'), 'w'))")]
    nbformat.write(nb, str(path))
    return path


def mini(*args, cwd):
    return subprocess.run([sys.executable, '-c', MINI, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)


def test_sweep_results_report_end_to_end(tmp_path):
    nb = tiny_notebook(tmp_path / 'tiny.ipynb')
    r = mini('sweep', nb, '-p', 'shots=1,3', '--name', 'demo', '--workers', '2', '--no-progress', cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr                      # one run failed -> non-zero
    assert '1 of 2 runs failed' in r.stderr and 'RuntimeError: three shots are not supported' in r.stderr, r.stderr
    sweep_dir = tmp_path / 'runs' / 'demo'                               # default: runs/<name> under the cwd
    ok = [json.loads(p.read_text()) for p in sweep_dir.glob('*/run.json')]
    assert sorted((i['params']['shots'], i['status']) for i in ok) == [(1, 'ok'), (3, 'failed')]

    r = mini('results', sweep_dir, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    import pandas as pd
    df = pd.read_parquet(sweep_dir / 'results.parquet')
    assert df[['shots', 'value']].values.tolist() == [[1, 0.6]] and len(pd.read_csv(sweep_dir / 'results.csv')) == 1

    r = mini('report', sweep_dir, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    page = (sweep_dir / 'report.html').read_text()
    assert 'three shots are not supported' in page and '0.6 ± 0.01' in page
    assert not re.search(r'<script[^>]+src=', page)                     # self-contained: nothing fetched


def test_invalid_grid_is_refused_before_any_run(tmp_path):
    nb = tiny_notebook(tmp_path / 'tiny.ipynb')
    r = mini('sweep', nb, '-p', 'shot=1,5', '--out', tmp_path / 'bad', cwd=tmp_path)
    assert r.returncode != 0 and "unknown parameter 'shot'" in r.stderr and "did you mean 'shots'" in r.stderr
    assert not (tmp_path / 'bad').exists()


def ltdi(*args, cwd):
    return subprocess.run([LTDI, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)


def test_ltdi_lists_sweep_results_report():
    assert Path(LTDI).exists(), f"no console script at {LTDI}: pip install -e . installs it"
    r = subprocess.run([LTDI, '--help'], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    for cmd in ('sweep', 'results', 'report'): assert re.search(rf'\b{cmd}\b', r.stdout), (cmd, r.stdout)


def test_ltdi_console_script_sweep(tmp_path):
    nb = tiny_notebook(tmp_path / 'tiny.ipynb')
    r = subprocess.run([LTDI, 'sweep', str(nb), '-p', 'shots=two'], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert r.returncode == 2 and "shots='two' is not allowed" in r.stderr, r.stderr
    for cmd in ('results', 'report'):
        assert subprocess.run([LTDI, cmd, '--help'], capture_output=True, timeout=120).returncode == 0


def test_notebook_without_kernel_is_refused_before_any_run(tmp_path):
    nb = tiny_notebook(tmp_path / 'bare.ipynb', kernelspec=False)
    r = ltdi('sweep', nb, '-p', 'shots=1,2', '--out', tmp_path / 'out', cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"notebook {nb} names no kernel" in r.stderr and '--kernel NAME' in r.stderr and "'python3'" in r.stderr, r.stderr
    r = ltdi('sweep', nb, '-p', 'shots=1', '--kernel', 'no-such-kernel', '--out', tmp_path / 'out', cwd=tmp_path)
    assert r.returncode == 2 and "kernel='no-such-kernel' is not installed" in r.stderr, r.stderr
    assert not (tmp_path / 'out').exists() and not (tmp_path / 'runs').exists()


def test_results_and_report_refuse_empty_or_damaged_folders(tmp_path):
    (tmp_path / 'empty').mkdir()
    for cmd in ('results', 'report'):
        r = ltdi(cmd, tmp_path / 'empty', cwd=tmp_path)
        assert r.returncode == 2 and f"{tmp_path / 'empty'} holds no runs" in r.stderr, r.stdout + r.stderr
        assert not (tmp_path / 'empty' / 'report.html').exists() and not (tmp_path / 'empty' / 'results.csv').exists()
    run = tmp_path / 'sw' / 'abc'; run.mkdir(parents=True)
    (run / 'run.json').write_text(json.dumps(dict(run_id='abc', status='ok', params={'shots': 1})))
    (run / 'metrics.json').write_text('{"metric": "accuracy", "value": 0.5}')          # a dict, not a list of records
    for cmd in ('results', 'report'):
        r = ltdi(cmd, tmp_path / 'sw', cwd=tmp_path)
        assert r.returncode == 2 and f"{run / 'metrics.json'} holds a dict" in r.stderr, r.stdout + r.stderr
    (run / 'run.json').write_text('{"run_id": "abc", "sta')                               # cut short
    r = ltdi('results', tmp_path / 'sw', cwd=tmp_path)
    assert r.returncode == 2 and f"{run / 'run.json'} is corrupt" in r.stderr, r.stdout + r.stderr
