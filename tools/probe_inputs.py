"""Probe the `ltdi` command line and library with bad inputs and faults, as a demanding user would (issue 17).

    python tools/probe_inputs.py                 # every probe; writes results/probes/report.md and run_<date>/
    python tools/probe_inputs.py --only meta     # probes whose name contains 'meta' (no records written)

Each probe runs one command (or a small Python call) with a time limit and is classified:
  refused   non-zero exit, one error line that names the bad value (or the file), no traceback;
  ok        a positive control did what it should (e.g. --overwrite replaced the records);
  unclear   refused, but the message does not name the value / file;
  traceback a raw Python traceback reached the user;
  silent    exit 0 (or no error) on bad input;
  lost      files that existed before were changed or removed;
  late      refused only after data was loaded (an argument that could be checked before);
  timeout   still running at the time limit.
CLI probes run `ltdi_workbench.cli.main` in a forked child of this process (the imports are paid once, so the
seconds are those of the command itself, not of Python's start-up; `startup` in the report is what a fresh
`ltdi --version` costs here). A hook on every module's `load_dataset` marks a probe that loaded data before it
refused. Everything runs at `nice -n 19` with one thread, in a temporary folder.
"""
from __future__ import annotations
import argparse, gzip, hashlib, json, os, shutil, signal, struct, subprocess, sys, tempfile, time, traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
MARK = '[probe] data loading started'
BAD = ('unclear', 'traceback', 'silent', 'lost', 'late', 'timeout')


@dataclass
class Probe:
    name: str                      # what is probed, e.g. 'fewshot --ways 0'
    category: str                  # the kind: overwrite, args, device, out, threads, loader, records, errors, sweep, ...
    argv: list | None = None       # `ltdi` arguments (a CLI probe)
    call: Callable | None = None   # or a Python call (raises to refuse; returns a string to say what went wrong)
    custom: Callable | None = None # or a function returning (outcome, seconds, message) itself
    names: tuple = ()              # strings the error line must contain (the value, the file)
    env: dict = field(default_factory=dict)
    expect: str = 'refuse'         # 'refuse' | 'ok' (a positive control: exit 0 and `check` passes)
    keep: tuple = ()               # files that must be byte-identical afterwards (no data lost)
    check: Callable | None = None  # after a CLI probe: returns '' or what went wrong
    data_ok: bool = False          # a data-dependent refusal: loading the data first is allowed
    limit: float = 20.0            # seconds


# --------------------------------------------------------------------------------------------------- fixtures
def digest(paths) -> dict:
    out = {}
    for p in paths:
        p = Path(p)
        files = sorted(f for f in p.rglob('*') if f.is_file()) if p.is_dir() else [p]
        for f in files: out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest() if f.exists() else None
    return out


def idx(path: Path, arr, gz=True):
    import numpy as np
    arr = np.asarray(arr, np.uint8)
    data = struct.pack('>BBBB', 0, 0, 8, arr.ndim) + b''.join(struct.pack('>I', d) for d in arr.shape) + arr.tobytes()
    (gzip.open if gz else open)(path, 'wb').write(data)


def png(path: Path, seed: int):
    import numpy as np
    from PIL import Image
    Image.fromarray((np.random.default_rng(seed).random((20, 20)) * 255).astype('uint8')).save(path)


def make_fixtures(W: Path) -> dict:
    "Fake folders and files in `W`; returns named paths."
    import numpy as np, nbformat, torch
    F = {}
    held = W / 'held'; held.mkdir()
    recs = [dict(experiment='ltdi_fewshot', method='ltdi', dataset='kanji', ways=5, shots=1, seed=0, metric='accuracy',
                 value=0.9, ci95=0.01)]
    (held / 'metrics.json').write_text(json.dumps(recs)); (held / 'params.json').write_text(json.dumps(dict(preset='quick', status='ok')))
    (held / 'encoder.pt').write_bytes(b'weights of the 5-way run')
    F['held'] = held
    F['file'] = W / 'afile'; F['file'].write_text('a file, not a folder')
    # Fashion-MNIST: an empty folder; images and labels of different counts
    (W / 'fashion_empty').mkdir(); F['fashion_empty'] = W / 'fashion_empty'
    fm = W / 'fashion_mismatch'; fm.mkdir(); F['fashion_mismatch'] = fm
    for part in ('train', 't10k'):
        idx(fm / f'{part}-images-idx3-ubyte.gz', np.zeros((10, 28, 28)))
        idx(fm / f'{part}-labels-idx1-ubyte.gz', np.zeros(9 if part == 'train' else 10))
    # Omniglot layouts: one truncated PNG; one empty class folder
    for name, fault in (('omni_corrupt', 'png'), ('omni_empty', 'empty')):
        root = W / name / 'omniglot'
        for part in ('images_background', 'images_evaluation'):
            for c in range(105 if part == 'images_background' else 6):   # (100 validation classes by default)
                d = root / part / 'Alpha' / f'char{c:03d}'; d.mkdir(parents=True)
                for i in range(2): png(d / f'{i}.png', c * 10 + i)
        if fault == 'png':
            bad = root / 'images_background' / 'Alpha' / 'char001' / '1.png'
            bad.write_bytes(bad.read_bytes()[:60]); F['bad_png'] = bad
        else:
            F['empty_class'] = root / 'images_evaluation' / 'Alpha' / 'char09'; F['empty_class'].mkdir()
        F[name] = W / name
    # miniImageNet: a one-column CSV; a CSV that is not text
    for name, text in (('mini_onecol', b'filename\nn01.jpg\nn02.jpg\n'), ('mini_binary', b'\xff\xfe\x00\x81garbage\x00\n')):
        root = W / name / 'miniimagenet'; (root / 'images').mkdir(parents=True)
        for part in ('train', 'val', 'test'): (root / f'{part}.csv').write_bytes(text)
        F[name] = W / name; F[name + '_csv'] = root / 'train.csv'
    # sweep folders: empty, corrupt run.json, dict-shaped metrics.json, corrupt metrics.json
    (W / 'sw_empty').mkdir(); F['sw_empty'] = W / 'sw_empty'
    for name, run_json, metrics in (('sw_badrun', '{"run_id": "abc", "sta', None),
                                    ('sw_dict', json.dumps(dict(run_id='abc', status='ok', params={'x': 1})), '{"metric": "a", "value": 1}'),
                                    ('sw_badmetrics', json.dumps(dict(run_id='abc', status='ok', params={'x': 1})), '[{"metric": "a", "val')):
        d = W / name / 'abc'; d.mkdir(parents=True); (d / 'run.json').write_text(run_json)
        if metrics is not None: (d / 'metrics.json').write_text(metrics)
        F[name] = W / name; F[name + '_file'] = d / ('run.json' if metrics is None else 'metrics.json')
    # results tree with a corrupt metrics.json (ltdi tables)
    d = W / 'res_bad' / 'study' / 'run1'; d.mkdir(parents=True); (d / 'metrics.json').write_text('[{"method": "m", "metric": ')
    F['res_bad'] = W / 'res_bad'; F['res_bad_file'] = d / 'metrics.json'
    # a tiny notebook for sweeps, a YAML grid that is not YAML, a notebook that is not JSON
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    p = nbformat.v4.new_code_cell("x = 1\nout_dir = 'runs/tiny'\ndevice = 'auto'"); p.metadata['tags'] = ['parameters']
    nb.cells = [p, nbformat.v4.new_code_cell(
        "import json, os, time\nos.makedirs(out_dir, exist_ok=True)\n"
        "if os.path.exists('sleep.flag'): time.sleep(300)\n"
        "json.dump(dict(written_by='the study', x=x), open(os.path.join(out_dir, 'params.json'), 'w'))\n"
        "json.dump([dict(experiment='tiny', method='m', dataset='d', ways=None, shots=None, seed=0, metric='y',\n"
        "                value=float(x), ci95=None)], open(os.path.join(out_dir, 'metrics.json'), 'w'))")]
    F['nb'] = W / 'tiny.ipynb'; nbformat.write(nb, str(F['nb']))
    F['bad_yaml'] = W / 'grid.yaml'; F['bad_yaml'].write_text('x: [1, 2\nscale: {')
    F['not_nb'] = W / 'broken.ipynb'; F['not_nb'].write_text('{"cells": [')
    # svcca inputs: a malicious pickle, bytes that are no array, an object array, mismatched rows
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {W / "pwned"}',))
    F['evil'] = W / 'evil.pt'; torch.save({'x': Evil()}, F['evil'])
    F['garbage'] = W / 'garbage.npy'; F['garbage'].write_bytes(os.urandom(300))
    F['objarr'] = W / 'obj.npy'; np.save(F['objarr'], np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
    F['a'] = W / 'a.npy'; np.save(F['a'], np.random.default_rng(0).normal(size=(50, 8)))
    F['b'] = W / 'b.npy'; np.save(F['b'], np.random.default_rng(1).normal(size=(40, 8)))
    F['trunc'] = W / 'trunc.pt'; torch.save({'x': torch.ones(100, 8)}, F['trunc'])
    F['trunc'].write_bytes(F['trunc'].read_bytes()[:200])
    return F


# --------------------------------------------------------------------------------------------------- running
def hook_loaders():
    "Make `data._load_cached` (what `load_dataset` calls once its arguments are checked, to read or render) write MARK to stderr first."
    import ltdi_workbench.data as data
    orig = data._load_cached
    def hooked(*a, **k):
        os.write(2, f"\n{MARK}\n".encode()); return orig(*a, **k)
    data._load_cached = hooked


def forked(fn, env: dict, cwd: Path, limit: float) -> tuple[int | None, str, str, float, float]:
    "(exit status or None on timeout, stdout, stderr, wall seconds, CPU seconds) of `fn()` in a forked child with `env` set, in `cwd`."
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    sys.stdout.flush(); sys.stderr.flush()
    t0 = time.perf_counter(); pid = os.fork()
    if pid == 0:                                    # the child
        rc = 1
        try:
            os.setpgid(0, 0)
            os.dup2(out.fileno(), 1); os.dup2(err.fileno(), 2)
            for k, v in env.items():
                if v is None: os.environ.pop(k, None)
                else: os.environ[k] = str(v)
            os.chdir(cwd)
            try: rc = fn()
            except SystemExit as e: rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException: traceback.print_exc(); rc = 1
        finally:
            try: sys.stdout.flush(); sys.stderr.flush()
            finally: os._exit(rc if isinstance(rc, int) else 0)
    rc, cpu, deadline = None, float('nan'), t0 + limit
    while time.perf_counter() < deadline:
        done, status, ru = os.wait4(pid, os.WNOHANG)
        if done: rc, cpu = os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime; break
        time.sleep(0.02)
    secs = time.perf_counter() - t0
    if rc is None:
        try: os.killpg(pid, signal.SIGKILL)
        except OSError: pass
        _, _, ru = os.wait4(pid, 0); cpu = ru.ru_utime + ru.ru_stime
    out.seek(0); err.seek(0)
    return rc, out.read().decode(errors='replace'), err.read().decode(errors='replace'), secs, cpu


def error_line(err: str) -> str:
    lines = [l for l in err.splitlines() if l.strip() and l.strip() != MARK]
    errs = [l for l in lines if ': error:' in l or l.startswith('error:')]
    return (errs[-1] if errs else lines[-1] if lines else '').strip()


def classify(p: Probe, rc, out: str, err: str, before: dict, extra: str = '') -> tuple[str, str]:
    "(outcome, message) of a finished probe."
    msg = error_line(err)
    if rc is None: return 'timeout', f"no answer within {p.limit:g} s"
    if before and digest(before) != before:
        changed = [f for f, h in digest(before).items() if before.get(f) != h] or list(before)
        return 'lost', f"changed: {changed[0]}"
    if 'Traceback (most recent call last)' in err: return 'traceback', msg
    if p.expect == 'ok':
        if rc != 0: return 'unclear', f"positive control failed (exit {rc}): {msg}"
        return ('silent', extra) if extra else ('ok', (out.strip().splitlines() or [''])[-1][:200])
    if rc == 0: return 'silent', f"exit 0 on bad input{': ' + extra if extra else ''}: {(out.strip().splitlines() or [''])[-1][:150]}"
    if MARK in err and not p.data_ok: return 'late', msg
    missing = [n for n in p.names if str(n) not in msg]
    if missing: return 'unclear', f"{msg}  [does not name {missing}]"
    return 'refused', msg


def run_probe(p: Probe, W: Path, F: dict) -> dict:
    from ltdi_workbench import cli
    base_env = {'LTDI_THREADS': '1', 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg', 'TQDM_DISABLE': '1'}
    cwd = W / 'cwd'; cwd.mkdir(exist_ok=True)
    if p.custom is not None:
        t0 = time.perf_counter()
        try: outcome, secs, msg = p.custom(W, F, p.limit)
        except Exception as e: outcome, secs, msg = 'traceback', time.perf_counter() - t0, f"probe itself failed: {type(e).__name__}: {e}"
        return dict(probe=p.name, category=p.category, outcome=outcome, seconds=secs, cpu=float('nan'), message=msg)
    before = digest(p.keep) if p.keep else {}
    if p.argv is not None:
        argv = [str(a) for a in p.argv]
        fn = lambda: (sys.argv.__setitem__(slice(None), ['ltdi', *argv]), cli.main(argv))[1]
    else:
        def fn():
            try: r = p.call(W, F)
            except Exception as e:
                if cli.is_expected(e): print(cli.error_line('call', e), file=sys.stderr); return 2
                raise
            if r: print(f"silent: {r}")
            return 0
    rc, out, err, secs, cpu = forked(fn, {**base_env, **p.env}, cwd, p.limit)
    extra = p.check(W, F) if (p.check is not None and rc == 0) else ''
    if p.argv is None and rc == 0 and p.expect == 'refuse':
        extra = out.strip().replace('silent: ', '') or 'the call accepted the bad input'
    outcome, msg = classify(p, rc, out, err, before, extra)
    return dict(probe=p.name, category=p.category, outcome=outcome, seconds=secs, cpu=cpu, message=msg)


# --------------------------------------------------------------------------------------------------- custom probes
def _sweep_cmd(*args):
    mini = ("import argparse, sys\nfrom ltdi_workbench.sweep import add_cli\n"
            "ap = argparse.ArgumentParser(prog='ltdi'); add_cli(ap.add_subparsers(dest='command'))\n"
            "a = ap.parse_args(sys.argv[1:]); sys.exit(a.func(a))")
    return ['nice', '-n', '19', sys.executable, '-c', mini, 'sweep', *map(str, args)]


def killed_sweep(sig):
    "A sweep of a sleeping run killed with `sig`: every process of it gone within seconds, temporary folder removed, rerun clean."
    def probe(W: Path, F: dict, limit: float):
        from ltdi_workbench.sweep import _run_processes
        import psutil
        base = W / f'kill_{sig.name}'; base.mkdir(); (base / 'sleep.flag').write_text('')
        out, tmpd = base / 'runs' / 'sw', base / 'tmp'; tmpd.mkdir()
        env = {**os.environ, 'TMPDIR': str(tmpd), 'LTDI_THREADS': '1', 'OMP_NUM_THREADS': '1'}
        sw = subprocess.Popen(_sweep_cmd(F['nb'], '-p', 'x=1', '--out', out, '--no-progress'), cwd=base, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + limit
        try:
            while not any('ipykernel' in ' '.join(psutil.Process(q).cmdline()) for q in _run_processes(out)
                          if psutil.pid_exists(q)):
                if sw.poll() is not None or time.time() > deadline:
                    return 'timeout', limit, f"the run's kernel did not start ({sw.poll()}): {sw.stderr.read()[-200:]}"
                time.sleep(0.3)
            time.sleep(1.0)                                   # the kernel is in the sleeping cell
            procs = set(_run_processes(out)); n = len(procs)
            sw.send_signal(sig); t0 = time.perf_counter()
            while _run_processes(out) and time.perf_counter() - t0 < 15: time.sleep(0.1)
            secs = time.perf_counter() - t0
            sw.wait(60)
        finally:
            if sw.poll() is None: sw.kill()
        left = _run_processes(out)
        if left: return 'silent', secs, f"{len(left)} of the {n} processes of the run still run {secs:.0f} s after {sig.name}: {left}"
        tmp_left = list(tmpd.glob('ltdi_run_*'))
        if tmp_left: return 'silent', secs, f"all {n} processes ended, but its temporary folder was left: {tmp_left[0]}"
        (base / 'sleep.flag').unlink()
        r = subprocess.run(_sweep_cmd(F['nb'], '-p', 'x=1', '--out', out, '--no-progress'), cwd=base, env=env,
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0 or '1 ran, 0 skipped, 0 failed' not in r.stdout:
            return 'silent', secs, f"rerun not clean (exit {r.returncode}): {(r.stdout + r.stderr).strip()[-200:]}"
        return 'ok', secs, f"{n} processes (papermill, kernel) gone {secs:.1f} s after {sig.name}; no temporary folder left; rerun ran 1 run"
    return probe


def orphan_beside_rerun(W: Path, F: dict, limit: float):
    "A process still tagged with a run of the folder (an orphan of a lost sweep): `ltdi sweep` into it must refuse, naming it."
    from ltdi_workbench import cli
    from ltdi_workbench.sweep import RUN_ENV
    out = W / 'orphan_sw'; out.mkdir()
    orphan = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], start_new_session=True,
                              env={**os.environ, RUN_ENV: str((out / 'abc').resolve())})
    try:
        time.sleep(0.5)
        argv = ['sweep', str(F['nb']), '-p', 'x=1', '--out', str(out), '--no-progress']
        rc, o, err, secs, cpu = forked(lambda: cli.main(argv), {'LTDI_THREADS': '1'}, W, limit)
    finally: orphan.kill(); orphan.wait()
    msg = error_line(err)
    if rc is None: return 'timeout', secs, f"no answer within {limit:g} s"
    if 'Traceback' in err: return 'traceback', secs, msg
    if rc == 0 or list(out.glob('*/run.json')): return 'silent', secs, 'the sweep ran beside a live process of an earlier run'
    if str(orphan.pid) not in msg: return 'unclear', secs, msg
    return 'refused', secs, msg + f" (after waiting {secs:.0f} s for it to end)"


def sweep_lifecycle(W: Path, F: dict, limit: float):
    "A run's study params.json and the sweep's sweep_params.json both kept; an edited notebook reruns; --force reruns."
    base = W / 'life'; base.mkdir(); out = base / 'sw'
    nb = base / 'tiny.ipynb'; shutil.copy(F['nb'], nb)
    run = lambda *a: subprocess.run(_sweep_cmd(nb, '-p', 'x=2', '--out', out, '--no-progress', *a), cwd=base,
                                    capture_output=True, text=True, timeout=300)
    t0 = time.perf_counter(); r1 = run()
    d = next(out.glob('*/run.json'), None)
    if r1.returncode or d is None: return 'silent', time.perf_counter() - t0, f"first sweep failed: {r1.stderr.strip()[-200:]}"
    d = d.parent
    try:
        study, swp = json.loads((d / 'params.json').read_text()), json.loads((d / 'sweep_params.json').read_text())
    except (OSError, ValueError) as e: return 'lost', time.perf_counter() - t0, f"a parameters file is missing: {e}"
    if study.get('written_by') != 'the study' or swp.get('x') != 2:
        return 'lost', time.perf_counter() - t0, f"params.json {study} / sweep_params.json {swp}"
    r2 = run()
    book = json.loads(nb.read_text()); book['cells'][1]['source'] += "\n# edited"; nb.write_text(json.dumps(book))
    r3 = run(); r4 = run('--force')
    counts = [(r.stdout.split(': ')[-1].strip()) for r in (r2, r3, r4)]
    want = ['1 runs, 0 ran, 1 skipped, 0 failed', '1 runs, 1 ran, 0 skipped, 0 failed', '1 runs, 1 ran, 0 skipped, 0 failed']
    if counts != want: return 'silent', time.perf_counter() - t0, f"rerun / edited / --force gave {counts}"
    return 'ok', time.perf_counter() - t0, "params.json (study) and sweep_params.json (sweep) both kept; rerun skipped; edited notebook reran; --force reran"


def smoke_override_recorded(W: Path, F: dict, limit: float):
    "The few-shot experiment notebook at preset=smoke keeps ways=[20] a user gave (its smoke shortcut touches only defaults)."
    import nbformat
    nb = nbformat.read(str(REPO / 'nbs' / 'experiments' / 'ltdi_fewshot.ipynb'), as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == 'code']
    src = code[0] + "\nways = [20]\nshots = [5]\ndevice = 'cpu'\n" + code[1]
    def fn():
        g = {}; exec(compile(src, 'ltdi_fewshot.ipynb', 'exec'), g)
        print(json.dumps(dict(ways=g['ways'], shots=g['shots']))); return 0
    rc, out, err, secs, _ = forked(fn, {'LTDI_THREADS': '1', 'IN_TEST': '1'}, W, limit)
    if rc != 0: return 'traceback' if 'Traceback' in err else 'unclear', secs, error_line(err)
    got = json.loads(out.strip().splitlines()[-1])
    if got != dict(ways=[20], shots=[5]): return 'silent', secs, f"preset=smoke replaced ways=[20], shots=[5] by {got}"
    return 'ok', secs, "preset=smoke keeps the ways=[20], shots=[5] given (only defaults are shortened)"


def failure_keeps(W: Path, F: dict, limit: float):
    "A study that fails after its first method (a simulated NaN) keeps that method's records, with status 'failed'."
    out = W / 'fail_keeps'
    def fn():
        from ltdi_workbench.meta_study import sinusoid_study, SinePreset
        def log(msg):
            if msg.startswith('fomaml'): raise FloatingPointError('loss is nan (simulated)')
        try: sinusoid_study(SinePreset(iters=3, n_test=5), out, 'maml,fomaml', steps='0', device='cpu', log=log)
        except FloatingPointError: return 0
        return 3
    rc, o, err, secs, cpu = forked(fn, {'LTDI_THREADS': '1'}, W, limit)
    if rc is None: return 'timeout', secs, f"no answer within {limit:g} s"
    if rc != 0: return 'traceback' if 'Traceback' in err else 'silent', secs, error_line(err) or f"exit {rc}: the failure was not raised"
    try: recs, params = json.loads((out / 'metrics.json').read_text()), json.loads((out / 'params.json').read_text())
    except (OSError, ValueError) as e: return 'lost', secs, f"nothing kept after the failure: {e}"
    methods = sorted({r['method'] for r in recs})
    if params.get('status') != 'failed' or 'maml' not in methods:
        return 'lost', secs, f"after the failure: status {params.get('status')!r}, methods {methods}"
    return 'ok', secs, f"kept {len(recs)} records of {methods} with status 'failed' ({params.get('error')})"


def _child_cpu() -> float:
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN); return ru.ru_utime + ru.ru_stime


def startup(W: Path, F: dict, limit: float):
    "What a fresh `ltdi --version` costs on this machine now (the fixed start-up every command pays: imports)."
    t0, c0 = time.perf_counter(), _child_cpu()
    r = subprocess.run(['nice', '-n', '19', str(Path(sys.executable).parent / 'ltdi'), '--version'], capture_output=True,
                       text=True, timeout=limit)
    secs, cpu = time.perf_counter() - t0, _child_cpu() - c0
    return ('ok' if r.returncode == 0 else 'unclear'), secs, f"{r.stdout.strip()}: {cpu:.1f} CPU s of start-up (imports), {secs:.1f} s wall"


def real_threads(W: Path, F: dict, limit: float):
    "`ltdi --threads -4 tour` through the console script: refused by argparse, no traceback."
    t0, c0 = time.perf_counter(), _child_cpu()
    r = subprocess.run(['nice', '-n', '19', str(Path(sys.executable).parent / 'ltdi'), '--threads', '-4', 'tour', '--out',
                        str(W / 'never')], capture_output=True, text=True, timeout=limit)
    secs, msg = time.perf_counter() - t0, error_line(r.stderr) + f" ({_child_cpu() - c0:.1f} CPU s with start-up)"
    if 'Traceback' in r.stderr: return 'traceback', secs, msg
    if r.returncode == 0: return 'silent', secs, 'exit 0'
    return ('refused' if "'-4'" in msg else 'unclear'), secs, msg


# --------------------------------------------------------------------------------------------------- the probe set
def probes(W: Path, F: dict) -> list[Probe]:
    held, afile = F['held'], F['file']
    under = afile / 'sub'
    o = lambda n: W / 'out' / n                        # a fresh output folder per probe
    P = []
    # 1. outputs that never overwrite silently
    for cmd in (['fewshot', '--preset', 'smoke', '--ways', '20'], ['meta', '--preset', 'smoke', '--dataset', 'glyphs'],
                ['sinusoid', '--preset', 'smoke'], ['stability', '--preset', 'smoke'], ['uht', '--preset', 'smoke'],
                ['block', '--preset', 'smoke'], ['lora', '--preset', 'smoke'], ['tour', '--dataset', 'glyphs']):
        P.append(Probe(f"{cmd[0]} --out <folder of another run's records>", 'overwrite', [*cmd, '--out', held],
                       names=(str(held), "already holds another run's records"), keep=(held,)))
    def replaced(W, F):
        recs = json.loads((F['held_ow'] / 'metrics.json').read_text())
        return '' if {r['experiment'] for r in recs} == {'sinusoid'} else f"metrics.json holds {sorted({r['experiment'] for r in recs})}"
    F['held_ow'] = W / 'held_ow'; shutil.copytree(held, F['held_ow'])
    P.append(Probe('sinusoid --overwrite replaces the records (positive control)', 'overwrite',
                   ['sinusoid', '--preset', 'smoke', '--methods', 'maml', '--steps', '0', '1', '--iterations', '5', '--n-test',
                    '10', '--device', 'cpu', '--out', F['held_ow'], '--overwrite'], expect='ok', check=replaced, limit=60))
    # 4. arguments checked before the expensive work
    A = [(['fewshot', '--ways', '0'], ('ways', '0')), (['fewshot', '--shots', '0'], ('shots', '0')),
         (['fewshot', '--ways', '1'], ('ways', '1')), (['fewshot', '--baselines', 'maml,foo'], ('foo',)),
         (['fewshot', '--dataset', 'nope'], ('nope',)), (['fewshot', '--seed', '-1'], ('seed', '-1')),
         (['stability', '--methods', 'wct,foo'], ('foo',)), (['stability', '--methods', 'wct', 'foo'], ('foo',)),
         (['stability', '--noise', '1.5'], ('1.5',)), (['stability', '--noise', 'abc'], ('abc',)),
         (['stability', '--seeds', 'a,b'], ('a,b',)), (['stability', '--study', 'sine', '--levels', '-1'], ('-1',)),
         (['stability', '--study', 'amp', '--amplitudes', '0'], ('0',)),
         (['meta', '--ways', '0'], ('ways', '0')), (['meta', '--shots', '0'], ('shots', '0')),
         (['meta', '--inner-lr', '1e300'], ('inner_lr', '1e+300')), (['meta', '--episodes', '-1'], ('n_test', '-1')),
         (['meta', '--iterations', '-5'], ('iterations', '-5')), (['meta', '--width', '-3'], ('width', '-3')),
         (['meta', '--queries', '-1'], ('queries', '-1')), (['meta', '--timing-iters', '-5'], ('timing_iters', '-5')),
         (['meta', '--budget-seconds', '-1'], ('budget_seconds', '-1')), (['meta', '--n-classes', '1'], ('n_classes', '1')),
         (['meta', '--inner-steps', '-2'], ('inner_steps', '-2')),
         (['sinusoid', '--shots', '0'], ('shots', '0')), (['sinusoid', '--steps', '-1'], ('steps', '-1')),
         (['sinusoid', '--iterations', '-1'], ('iterations', '-1')), (['sinusoid', '--n-test', '-1'], ('n_test', '-1')),
         (['tour', '--episodes', '0'], ('episodes', '0')), (['tour', '--n-classes', '1'], ('n_classes', '1')),
         (['uht', '--eps', 'foo'], ('foo',)), (['uht', '--min-samples', '0'], ('min_samples', '0')),
         (['uht', '--pool-size', '0'], ('pool_size', '0')), (['svcca', F['a'], F['a'], '--keep', '2.5'], ('keep', '2.5'))]
    for argv, names in A:
        out = (['--out', o('args_' + '_'.join(a.strip('-') for a in map(str, argv[:3]))), '--preset', 'smoke']
               if argv[0] not in ('svcca', 'tour') else ['--out', o('args_tour')] if argv[0] == 'tour' else [])
        P.append(Probe(' '.join(map(str, argv)).replace(str(W), '<tmp>'), 'args', [*argv, *out], names=names))
    P.append(Probe('meta --ways 40 --dataset digits (more ways than test classes)', 'args',
                   ['meta', '--ways', '40', '--dataset', 'digits', '--preset', 'smoke', '--out', o('meta_ways40')],
                   names=('ways', '40'), data_ok=True, limit=60))
    # devices: CUDA asked on a machine without it
    import torch
    if not torch.cuda.is_available():
        for cmd in ('meta', 'fewshot', 'sinusoid', 'stability', 'uht', 'block', 'lora'):
            P.append(Probe(f"{cmd} --device cuda (no CUDA here)", 'device', [cmd, '--device', 'cuda', '--out', o(f'dev_{cmd}')],
                           names=('cuda', 'not available')))
        P.append(Probe('sweep ltdi_fewshot.ipynb -p preset=smoke -p ways=20 --device cuda (no CUDA here)', 'device',
                       ['sweep', REPO / 'nbs' / 'experiments' / 'ltdi_fewshot.ipynb', '-p', 'preset=smoke', '-p', 'ways=20',
                        '--device', 'cuda', '--out', o('sweep_cuda')], names=('cuda', 'not available')))
    # --out under a file, or where nothing can be created
    for cmd in ('meta', 'fewshot', 'sinusoid', 'stability', 'uht', 'block', 'lora', 'tour'):
        P.append(Probe(f"{cmd} --out <under a file>", 'out', [cmd, '--out', under], names=(str(afile), 'is a file')))
    P.append(Probe('sinusoid --out /proc/ltdi_probe (cannot be created: OSError)', 'errors',
                   ['sinusoid', '--out', '/proc/ltdi_probe'], names=('/proc/ltdi_probe',)))
    # threads
    P.append(Probe('--threads -4 tour', 'threads', ['--threads', '-4', 'tour', '--out', o('thr')], names=("'-4'",)))
    P.append(Probe('--threads 0 tour', 'threads', ['--threads', '0', 'tour', '--out', o('thr')], names=("'0'",)))
    P.append(Probe('LTDI_THREADS=-4 ltdi tour', 'threads', ['tour', '--out', o('thr')], names=('LTDI_THREADS', "'-4'"),
                   env={'LTDI_THREADS': '-4'}))
    P.append(Probe('sweep --threads -4', 'threads', ['sweep', F['nb'], '-p', 'x=1', '--threads', '-4', '--out', o('swt')],
                   names=("'-4'",)))
    # 6. learning rates that overflow
    def ltdi_lr(W, F):
        from ltdi_workbench.ltdi import LtdiConfig
        LtdiConfig(lr=1e300); return 'LtdiConfig(lr=1e300) accepted'
    def meta_lr(W, F):
        from ltdi_workbench.meta import MetaConfig
        MetaConfig(inner_lr=1e300); return 'MetaConfig(inner_lr=1e300) accepted'
    P.append(Probe('LtdiConfig(lr=1e300)', 'lr', call=ltdi_lr, names=('lr', '1e+300')))
    P.append(Probe('MetaConfig(inner_lr=1e300)', 'lr', call=meta_lr, names=('inner_lr', '1e+300')))
    P.append(Probe('a study failing part-way keeps its records (status failed)', 'records', custom=failure_keeps, limit=60))
    # 5. loaders that name the bad file
    P += [Probe('LTDI_FASHION_DIR=<empty folder> tour --dataset fashion', 'loader', ['tour', '--dataset', 'fashion', '--out', o('f1')],
                env={'LTDI_FASHION_DIR': F['fashion_empty']}, names=(str(F['fashion_empty']),), data_ok=True),
          Probe('LTDI_FASHION_DIR=<missing folder> tour --dataset fashion', 'loader', ['tour', '--dataset', 'fashion', '--out', o('f2')],
                env={'LTDI_FASHION_DIR': W / 'nowhere'}, names=(str(W / 'nowhere'),), data_ok=True),
          Probe('IDX images and labels of different counts', 'loader', ['tour', '--dataset', 'fashion', '--out', o('f3')],
                env={'LTDI_FASHION_DIR': F['fashion_mismatch']}, names=('train-images', '10', '9'), data_ok=True),
          Probe('Omniglot with a truncated PNG', 'loader', ['tour', '--dataset', 'omniglot', '--out', o('f4')],
                env={'LTDI_DATA': F['omni_corrupt']}, names=(str(F['bad_png']),), data_ok=True),
          Probe('Omniglot with an empty class folder', 'loader', ['tour', '--dataset', 'omniglot', '--out', o('f5')],
                env={'LTDI_DATA': F['omni_empty']}, names=(str(F['empty_class']),), data_ok=True),
          Probe('miniImageNet with a one-column CSV', 'loader', ['tour', '--dataset', 'miniimagenet', '--out', o('f6')],
                env={'LTDI_DATA': F['mini_onecol']}, names=(str(F['mini_onecol_csv']),), data_ok=True),
          Probe('miniImageNet CSV that is not text (CSV error)', 'errors', ['tour', '--dataset', 'miniimagenet', '--out', o('f7')],
                env={'LTDI_DATA': F['mini_binary']}, names=(str(F['mini_binary_csv']),), data_ok=True),
          Probe('Omniglot not there (LTDI_DATA=<empty>)', 'loader', ['tour', '--dataset', 'omniglot', '--out', o('f8')],
                env={'LTDI_DATA': W / 'nowhere'}, names=('Omniglot not found',), data_ok=True)]
    # 7. records: results / report / tables on empty or corrupt folders
    for cmd in ('results', 'report'):
        P.append(Probe(f'{cmd} <empty folder>', 'records', [cmd, F['sw_empty']], names=(str(F['sw_empty']), 'no runs')))
        P.append(Probe(f'{cmd} <missing folder>', 'records', [cmd, W / 'nosuch'], names=(str(W / 'nosuch'),)))
        for k, what in (('sw_badrun', 'corrupt run.json'), ('sw_dict', 'dict-shaped metrics.json'),
                        ('sw_badmetrics', 'corrupt metrics.json')):
            P.append(Probe(f'{cmd} <{what}>', 'records', [cmd, F[k]], names=(str(F[k + '_file']),), keep=(F[k],)))
    P.append(Probe('tables <results with a corrupt metrics.json>', 'records', ['tables', F['res_bad'], '--out', W / 'R.md'],
                   names=(str(F['res_bad_file']),)))
    P.append(Probe('tables <empty folder>', 'records', ['tables', F['sw_empty'], '--out', W / 'R.md'], names=(str(F['sw_empty']),)))
    # YAML / pickles / arrays / notebooks through the CLI
    P += [Probe('sweep --grid <not YAML>', 'errors', ['sweep', F['nb'], '--grid', F['bad_yaml'], '--out', o('sy')],
                names=(str(F['bad_yaml']), 'line')),
          Probe('sweep --grid <missing file>', 'errors', ['sweep', F['nb'], '--grid', W / 'no.yaml', '--out', o('sy')],
                names=(str(W / 'no.yaml'),)),
          Probe('sweep <notebook that is not JSON>', 'errors', ['sweep', F['not_nb'], '-p', 'x=1', '--out', o('sy')],
                names=(str(F['not_nb']),)),
          Probe('sweep <missing notebook>', 'errors', ['sweep', W / 'none.ipynb', '-p', 'x=1', '--out', o('sy')],
                names=(str(W / 'none.ipynb'),)),
          Probe('sweep -p nope=1 (unknown parameter)', 'errors', ['sweep', F['nb'], '-p', 'nope=1', '--out', o('sy')],
                names=("'nope'",)),
          Probe('sweep --workers 0', 'errors', ['sweep', F['nb'], '-p', 'x=1', '--workers', '0', '--out', o('sy')], names=("'0'",)),
          Probe('sweep --timeout -1', 'errors', ['sweep', F['nb'], '-p', 'x=1', '--timeout', '-1', '--out', o('sy')],
                names=('timeout', '-1')),
          Probe('svcca <malicious pickle>', 'errors', ['svcca', F['evil'], F['evil']], names=(str(F['evil']),),
                check=lambda W, F: 'the pickle ran' if (W / 'pwned').exists() else ''),
          Probe('svcca <random bytes .npy>', 'errors', ['svcca', F['garbage'], F['a']], names=(str(F['garbage']),)),
          Probe('svcca <object array .npy>', 'errors', ['svcca', F['objarr'], F['a']], names=(str(F['objarr']),)),
          Probe('svcca <truncated .pt>', 'errors', ['svcca', F['trunc'], F['a']], names=(str(F['trunc']),)),
          Probe('svcca <missing file>', 'errors', ['svcca', W / 'none.npy', F['a']], names=(str(W / 'none.npy'),)),
          Probe('svcca <arrays with 50 and 40 rows>', 'errors', ['svcca', F['a'], F['b']], names=('50', '40'))]
    # 2./3. sweeps that own their runs and label them right
    P += [Probe('sweep killed with SIGKILL', 'sweep', custom=killed_sweep(signal.SIGKILL), limit=180),
          Probe('sweep killed with SIGTERM', 'sweep', custom=killed_sweep(signal.SIGTERM), limit=180),
          Probe('sweep rerun beside a live orphan of its runs', 'sweep', custom=orphan_beside_rerun, limit=60),
          Probe('sweep: study params kept, edited notebook reruns, --force', 'sweep', custom=sweep_lifecycle, limit=400),
          Probe('experiment notebook at preset=smoke keeps ways=[20] given', 'preset', custom=smoke_override_recorded, limit=60),
          Probe('ltdi --threads -4 (console script)', 'threads', custom=real_threads, limit=120),
          Probe('start-up: ltdi --version (console script)', 'startup', custom=startup, limit=120)]
    return P


# --------------------------------------------------------------------------------------------------- report
def write_outputs(rows: list[dict], out_root: Path, wall: float, argv: list):
    from ltdi_workbench.study import Recorder
    date = datetime.now(timezone.utc).strftime('%Y-%m-%d')
    counts = {k: sum(r['outcome'] == k for r in rows) for k in ('refused', 'ok', *BAD)}
    refusals = [r for r in rows if r['outcome'] == 'refused' and r['cpu'] == r['cpu']]   # forked CLI / call probes
    slow = [r for r in refusals if r['cpu'] >= 5]
    slow_wall = [r for r in refusals if r['seconds'] >= 5]
    startup = next((r for r in rows if r['category'] == 'startup'), None)
    lines = [f"# Probes of bad inputs and faults ({date})", '',
             f"`python tools/probe_inputs.py` ({len(rows)} probes, {wall:.0f} s): " +
             ', '.join(f"{v} {k}" for k, v in counts.items() if v) + '.', '',
             f"Must show: data lost {counts['lost']}, silently wrong {counts['silent']}, raw tracebacks {counts['traceback']}, "
             f"unclear {counts['unclear']}, refused after loading data {counts['late']}, timeouts {counts['timeout']}; "
             f"refusals that took 5 CPU seconds or more: {len(slow)} (most: {max((r['cpu'] for r in refusals), default=0):.2f} s); "
             f"5 wall seconds or more: {len(slow_wall)} (slowest {max((r['seconds'] for r in refusals), default=0):.1f} s)"
             + (f"; start-up of a fresh `ltdi` process (not in these numbers): {startup['message'].split(': ', 1)[-1]}"
                if startup else '') + '.',
             '', 'CLI probes run `ltdi_workbench.cli.main(argv)` in a forked child of the probe process (the imports are paid '
             'once, before), so `seconds` (wall) and `cpu` (the child\'s CPU seconds) are the command\'s own work, without '
             'Python\'s start-up. The machine is a shared 2-core CPU running other jobs; the probes run at `nice -n 19` with one '
             'thread, so wall seconds mostly measure waiting for a core: `cpu` is the work done before refusing. '
             'Custom probes (sweeps) report wall seconds only.', '',
             '| probe | category | outcome | seconds | cpu | message (first line) |', '|---|---|---|---|---|---|']
    for r in rows:
        msg = ' '.join(r['message'].split())[:220].replace('|', '\\|')
        cpu = f"{r['cpu']:.2f}" if r['cpu'] == r['cpu'] else ''
        lines.append(f"| {r['probe'].replace('|', '/')} | {r['category']} | {r['outcome']} | {r['seconds']:.2f} | {cpu} | {msg} |")
    out_root.mkdir(parents=True, exist_ok=True)
    (out_root / 'report.md').write_text('\n'.join(lines) + '\n')
    rec = Recorder('probes', 'cli', 0, log=None); rec.t0 = time.time() - wall   # wall_seconds: the whole probe run
    for r in rows:
        good = r['outcome'] in ('refused', 'ok')
        rec.R(r['category'], 'refused_clearly' if r['outcome'] != 'ok' else 'passed', float(good), probe=r['probe'], outcome=r['outcome'])
        rec.R(r['category'], 'wrong', float(not good), probe=r['probe'], outcome=r['outcome'])
        rec.R(r['category'], 'seconds_to_refuse' if r['outcome'] == 'refused' else 'seconds', r['seconds'], probe=r['probe'],
              outcome=r['outcome'])
        if r['cpu'] == r['cpu']:
            rec.R(r['category'], 'cpu_seconds_to_refuse' if r['outcome'] == 'refused' else 'cpu_seconds', r['cpu'],
                  probe=r['probe'], outcome=r['outcome'])
    for k, v in counts.items(): rec.R('all', f'n_{k}', float(v))
    rec.R('all', 'n_probes', float(len(rows)))
    rec.R('all', 'max_seconds_to_refuse', max((r['seconds'] for r in refusals), default=0.0))
    rec.R('all', 'max_cpu_seconds_to_refuse', max((r['cpu'] for r in refusals), default=0.0))
    run_dir = out_root / f'run_{date}'
    rec.write(run_dir, dict(tool='tools/probe_inputs.py', argv=argv, probes=[dict(probe=r['probe'], category=r['category'])
                                                                              for r in rows], counts=counts),
              device='cpu', command='python tools/probe_inputs.py ' + ' '.join(argv))
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', default='', help='run only probes whose name or category contains this text (no records written)')
    ap.add_argument('--out', default=str(REPO / 'results' / 'probes'), help='report.md and run_<date>/ go here')
    a = ap.parse_args(argv)
    try: os.nice(19 - os.nice(0))
    except OSError: pass
    os.environ.update(LTDI_THREADS='1', OMP_NUM_THREADS='1', MPLBACKEND='Agg')
    import torch
    torch.set_num_threads(1)
    from ltdi_workbench import cli  # noqa: F401  (every study module, imported once; forked children share it)
    hook_loaders()
    W = Path(tempfile.mkdtemp(prefix='ltdi_probe_'))
    t0 = time.time(); rows = []
    try:
        F = make_fixtures(W)
        todo = [p for p in probes(W, F) if a.only in p.name or a.only == p.category]
        for i, p in enumerate(todo):
            r = run_probe(p, W, F); rows.append(r)
            flag = '' if r['outcome'] in ('refused', 'ok') else '   <-- WRONG'
            print(f"[{i + 1:3d}/{len(todo)}] {r['outcome']:9s} {r['seconds']:6.2f}s {r['cpu']:5.2f}cpu  {r['probe']}: "
                  f"{r['message'][:150]}{flag}",
                  flush=True)
    finally: shutil.rmtree(W, ignore_errors=True)
    wall = time.time() - t0
    if a.only: return 1 if any(r['outcome'] in BAD for r in rows) else 0
    counts = write_outputs(rows, Path(a.out), wall, argv or sys.argv[1:])
    print(json.dumps(counts))
    return 1 if any(counts[k] for k in BAD) else 0


if __name__ == '__main__':
    sys.exit(main())
