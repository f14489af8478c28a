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
    r = ltdi('report', tmp_path / 'sw', cwd=tmp_path)
    assert r.returncode == 2 and f"{run / 'metrics.json'} holds a dict" in r.stderr, r.stdout + r.stderr
    r = mini('results', tmp_path / 'sw', cwd=tmp_path)                                    # (mini: a traceback, exit 1)
    assert r.returncode != 0 and f"{run / 'metrics.json'} holds a dict" in r.stderr, r.stdout + r.stderr
    (run / 'run.json').write_text('{"run_id": "abc", "sta')                               # cut short
    r = mini('results', tmp_path / 'sw', cwd=tmp_path)
    assert r.returncode != 0 and f"{run / 'run.json'} is corrupt" in r.stderr, r.stdout + r.stderr
    assert not list((tmp_path / 'sw').glob('results.*')) and not (tmp_path / 'sw' / 'report.html').exists()


def sleepy_notebook(path):
    "A notebook whose run sleeps while `sleep.flag` exists in its working directory (after noting its kernel's PID)."
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    p = nbformat.v4.new_code_cell("x = 1\nout_dir = 'runs/sleepy'"); p.metadata['tags'] = ['parameters']
    nb.cells = [p, nbformat.v4.new_code_cell(
        "import json, os, time\nos.makedirs(out_dir, exist_ok=True)\n"
        "if os.path.exists('sleep.flag'):\n"
        "    open(os.path.join(out_dir, f'kernel_{os.getpid()}.pid'), 'w').write(str(os.getpgid(0)))\n"
        "    time.sleep(300)\n"
        "json.dump([dict(experiment='sleepy', method='m', dataset='d', ways=None, shots=None, seed=0, metric='y',\n"
        "                value=float(x), ci95=None)], open(os.path.join(out_dir, 'metrics.json'), 'w'))")]
    nbformat.write(nb, str(path))
    return path


def _gone(pids):
    import psutil
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE: alive.append(pid)
        except psutil.NoSuchProcess: pass
    return not alive


def test_sigterm_ends_every_run_and_the_rerun_is_clean(tmp_path):
    import os, signal, time, psutil
    nb = sleepy_notebook(tmp_path / 'sleepy.ipynb'); (tmp_path / 'sleep.flag').write_text('')
    tmpd = tmp_path / 'tmp'; tmpd.mkdir(); out = tmp_path / 'sw'
    env = {**os.environ, 'TMPDIR': str(tmpd)}                          # the runs' ltdi_run_* folders go here
    args = ['sweep', str(nb), '-p', 'x=1,2', '--workers', '2', '--out', str(out), '--no-progress']
    sw = subprocess.Popen([sys.executable, '-c', MINI, *args], cwd=tmp_path, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 180
        while len(list(out.glob('*/kernel_*.pid'))) < 2:                  # both kernels are sleeping in their cell
            assert sw.poll() is None and time.time() < deadline, sw.communicate(timeout=5)
            time.sleep(0.2)
        owner = json.loads((out / '.sweep.owner.json').read_text())      # the sweep's record of its runs
        papermill = [r['pid'] for r in owner['runs'].values()]
        kernels = {int(f.stem.split('_')[1]): int(f.read_text()) for f in out.glob('*/kernel_*.pid')}
        groups = set(papermill) | set(kernels.values())
        assert len(papermill) == 2 and len(groups) == 4 and not _gone(papermill) and not _gone(kernels)
        assert len(list(tmpd.glob('ltdi_run_*'))) == 2
        sw.send_signal(signal.SIGTERM)
        _, err = sw.communicate(timeout=60)
    finally:
        if sw.poll() is None: sw.kill()
    assert sw.returncode == 143, (sw.returncode, err)
    deadline = time.time() + 10
    while not _gone([*papermill, *kernels]) and time.time() < deadline: time.sleep(0.1)
    assert _gone([*papermill, *kernels]), [p for p in [*papermill, *kernels] if not _gone([p])]
    in_groups = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) in groups and p.status() != psutil.STATUS_ZOMBIE: in_groups.append(p.pid)
        except (OSError, psutil.Error): pass
    assert not in_groups, in_groups                                     # nothing left in the runs' process groups
    assert not list(tmpd.glob('ltdi_run_*')) and not (out / '.sweep.owner.json').exists()
    assert not list(out.glob('*/run.json'))                               # the killed runs are not recorded as finished

    (tmp_path / 'sleep.flag').unlink()                                    # the rerun: both runs again, from empty folders
    r = subprocess.run([sys.executable, '-c', MINI, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and '2 runs, 2 ran, 0 skipped, 0 failed' in r.stdout, r.stdout + r.stderr
    assert 'stale' not in r.stderr, r.stderr
    for d in (p for p in out.iterdir() if p.is_dir()):
        assert sorted(f.name for f in d.iterdir()) == ['metrics.json', 'notebook.ipynb', 'papermill.log', 'run.json',
                                                       'sweep_params.json'], sorted(d.iterdir())
    assert not list(tmpd.glob('ltdi_run_*'))


def test_sigkill_of_the_sweep_ends_every_run_and_the_rerun_is_clean(tmp_path):
    "SIGKILL gives the sweep no chance to clean up: its runs' guards must end them (and their kernels) by themselves."
    import os, signal, time, psutil
    from ltdi_workbench.sweep import _run_processes
    nb = sleepy_notebook(tmp_path / 'sleepy.ipynb'); (tmp_path / 'sleep.flag').write_text('')
    tmpd = tmp_path / 'tmp'; tmpd.mkdir(); out = tmp_path / 'sw'
    env = {**os.environ, 'TMPDIR': str(tmpd)}
    args = ['sweep', str(nb), '-p', 'x=1,2', '--workers', '2', '--out', str(out), '--no-progress']
    sw = subprocess.Popen([sys.executable, '-c', MINI, *args], cwd=tmp_path, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 180
        while len(list(out.glob('*/kernel_*.pid'))) < 2:
            assert sw.poll() is None and time.time() < deadline, sw.communicate(timeout=5)
            time.sleep(0.2)
        owner = json.loads((out / '.sweep.owner.json').read_text())
        papermill = [r['pid'] for r in owner['runs'].values()]
        groups = {r['pgid'] for r in owner['runs'].values()}
        kernels = {int(f.stem.split('_')[1]): int(f.read_text()) for f in out.glob('*/kernel_*.pid')}
        groups |= set(kernels.values())
        tagged = _run_processes(out)                                     # every process of the runs ($LTDI_SWEEP_RUN)
        assert set(papermill) | set(kernels) <= set(tagged) and len(groups) == 4, (papermill, kernels, tagged)
        assert len(list(tmpd.glob('ltdi_run_*'))) == 2
        sw.send_signal(signal.SIGKILL); sw.wait(30); t_kill = time.time()
    finally:
        if sw.poll() is None: sw.kill()
    everything = [*papermill, *kernels, *tagged]
    while not _gone(everything) and time.time() < t_kill + 10: time.sleep(0.1)
    waited = time.time() - t_kill
    assert _gone(everything), [p for p in everything if not _gone([p])]
    assert waited < 5, waited                                            # gone within seconds, not at some timeout
    in_groups = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) in groups and p.status() != psutil.STATUS_ZOMBIE: in_groups.append(p.pid)
        except (OSError, psutil.Error): pass
    assert not in_groups and not _run_processes(out), in_groups
    assert not list(tmpd.glob('ltdi_run_*'))                              # the guards removed their temporary folders
    assert (out / '.sweep.owner.json').exists() and not list(out.glob('*/run.json'))

    (tmp_path / 'sleep.flag').unlink()                                    # the rerun takes the stale lock over, runs both
    r = subprocess.run([sys.executable, '-c', MINI, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and '2 runs, 2 ran, 0 skipped, 0 failed' in r.stdout, r.stdout + r.stderr
    assert 'took over a stale lock' in r.stderr and 'temporary folders' not in r.stderr, r.stderr
    for d in (p for p in out.iterdir() if p.is_dir()):
        assert sorted(f.name for f in d.iterdir()) == ['metrics.json', 'notebook.ipynb', 'papermill.log', 'run.json',
                                                       'sweep_params.json'], sorted(d.iterdir())
    assert not list(tmpd.glob('ltdi_run_*')) and not (out / '.sweep.owner.json').exists()


def in_process(capsys, *args) -> str:
    "Run `ltdi_workbench.sweep`'s subcommand in this process (no start-up cost); its stdout."
    import argparse
    from ltdi_workbench.sweep import add_cli
    ap = argparse.ArgumentParser(prog='ltdi'); add_cli(ap.add_subparsers(dest='command'))
    a = ap.parse_args([str(x) for x in args])
    assert a.func(a) == 0
    return capsys.readouterr().out


def test_edited_notebook_reruns_and_force_reruns(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb = tiny_notebook(tmp_path / 'tiny.ipynb')
    args = ('sweep', nb, '-p', 'shots=1', '--out', tmp_path / 'sw')
    counts = lambda out: re.search(r'(\d+) ran, (\d+) skipped, (\d+) failed', out).groups()
    out = in_process(capsys, *args); assert counts(out) == ('1', '0', '0'), out
    book = nbformat.read(str(nb), as_version=4)
    book.cells.append(nbformat.v4.new_markdown_cell('a note'))                 # markdown does not count
    nbformat.write(book, str(nb))
    out = in_process(capsys, *args); assert counts(out) == ('0', '1', '0'), out
    book.cells[1].source += "\nopen(os.path.join(out_dir, 'edited.txt'), 'w').write('yes')"   # code does
    nbformat.write(book, str(nb))
    out = in_process(capsys, *args)
    assert counts(out) == ('1', '0', '0') and 'the notebook changed since they ran' in out, out
    run = next((tmp_path / 'sw').glob('*/run.json')).parent
    assert (run / 'edited.txt').read_text() == 'yes'
    before = json.loads((run / 'run.json').read_text())['finished']
    out = in_process(capsys, *args, '--force')
    assert counts(out) == ('1', '0', '0') and 'force: all 1 runs rerun' in out, out
    info = json.loads((run / 'run.json').read_text())
    assert info['status'] == 'ok' and info['notebook_hash'] and info['finished'] >= before
