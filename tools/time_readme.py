"""Time README's two commands as a new user runs them: a fresh clone of HEAD, a fresh venv, this machine.

    python tools/time_readme.py main     # the first command (set up + main job)
    python tools/time_readme.py tests    # the second command (set up + tests)

Writes results/first_run/<which>_<date>/metrics.json + params.json (the command, commit, machine and its load,
wall seconds), so RESULTS.md reports the measured time beside the command; the main job's own records are kept
as a few-shot reference run (results/ltdi_fewshot/main_job_<date>/). pip's cache on this machine makes the install
faster than on a truly new one. The clone is removed afterwards; the log is kept
in the results folder.
"""
import datetime, json, os, platform, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    "The bash code blocks of README.md's 'Two commands' section, in order."
    text = (ROOT / 'README.md').read_text()
    sec = text.split('## Two commands', 1)[1].split('\n## ', 1)[0]
    return [b.strip() for b in re.findall(r'```bash\n(.*?)```', sec, re.S)]


def main(which: str):
    cmds = readme_commands()
    if which not in ('main', 'tests') or len(cmds) < 2: sys.exit('usage: time_readme.py main|tests (README needs two bash blocks)')
    cmd = cmds[0 if which == 'main' else 1]
    commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix='ltdi_first_run_'))
    try:
        subprocess.run(['git', 'clone', '-q', str(ROOT), str(tmp / 'clone')], check=True)
        env = {k: v for k, v in os.environ.items() if k not in ('VIRTUAL_ENV', 'PYTHONPATH', 'LTDI_THREADS', 'OMP_NUM_THREADS')}
        env['PATH'] = ':'.join(p for p in env['PATH'].split(':') if '.venv' not in p)
        load = os.getloadavg()[0]; t0 = time.time()
        r = subprocess.run(['bash', '-c', cmd], cwd=tmp / 'clone', env=env, capture_output=True, text=True)
        wall = time.time() - t0
        day = datetime.date.today().isoformat()
        out = ROOT / 'results' / 'first_run' / f'{which}_{day}'
        out.mkdir(parents=True, exist_ok=True)
        (out / 'log.txt').write_text((r.stdout + '\n' + r.stderr)[-20000:])
        if r.returncode: sys.exit(f'the {which} command failed ({r.returncode}); see {out / "log.txt"}')
        rec = dict(experiment='first_run', method=f'readme_{which}', dataset='', ways=None, shots=None, seed=None,
                   metric='wall_seconds', value=round(wall, 1), ci95=None)
        (out / 'metrics.json').write_text(json.dumps([rec], indent=1))
        (out / 'params.json').write_text(json.dumps({'run': dict(
            command=cmd, commit=commit[:12], dirty=False, torch='', python=platform.python_version(), device='cpu',
            threads=0, machine=f'{os.cpu_count()}-core CPU ({platform.machine()}), fresh clone + fresh venv, load {load:.1f} at start',
            wall_seconds=round(wall, 1))}, indent=1))
        if which == 'main':   # the main job's own records are a reference run of the few-shot study
            job = tmp / 'clone' / 'runs' / 'main'
            ref = ROOT / 'results' / 'ltdi_fewshot' / f'main_job_{day}'
            ref.mkdir(parents=True, exist_ok=True)
            for f in ('metrics.json', 'params.json'): shutil.copy(job / f, ref / f)
            print(f'main job records -> {ref}')
        print(f'{which}: {wall:.0f} s -> {out}')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '')
