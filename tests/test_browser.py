"""The explorers in a real browser, and explore.ipynb headless.

`test_explore_in_jupyterlab` starts JupyterLab on 127.0.0.1 with a token, opens a copy of nbs/explore.ipynb
in Debian's chromium (driven by Playwright for Python; no browser download), runs all cells, moves the
trajectory explorer's step slider and asserts that the plotly figure in the page changed. It saves a
screenshot in its tmp dir and copies it to /tmp/explorer.png. It skips only when chromium is missing
(`.ci/run` installs it with apt). `test_explore_papermill` runs the notebook headless with papermill, on
the demo folder and on a folder that lacks two studies, and checks that the executed notebook stays light.
"""
import json, os, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / 'nbs' / 'explore.ipynb'
CHROMIUM = os.environ.get('LTDI_CHROMIUM', '/usr/bin/chromium')
BIN = Path(sys.executable).parent


@pytest.fixture(scope='module')
def demo_dir():
    "The demo results folder (built once per demo version, shared with explore.ipynb; found through LTDI_DEMO_DIR)."
    from ltdi_workbench.demo import demo_folder
    return demo_folder()


def _env(demo_dir, **extra):
    return {**os.environ, 'LTDI_DEMO_DIR': str(demo_dir), 'LTDI_THREADS': '1', 'OMP_NUM_THREADS': '1', **extra}


def test_explore_papermill(demo_dir, tmp_path):
    for name, params in [('demo', []), ('missing', ['-p', 'results_dir', str(demo_dir / 'stability')])]:
        out = tmp_path / f'{name}.ipynb'
        r = subprocess.run([str(BIN / 'papermill'), '-k', 'python3', str(NB), str(out), *params, '--cwd', str(ROOT / 'nbs')],
                           cwd=ROOT, env=_env(demo_dir), capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-4000:]
        nb = json.loads(out.read_text())
        errors = [o for c in nb['cells'] for o in c.get('outputs', []) if o['output_type'] == 'error']
        assert not errors, errors
        last = ''.join(nb['cells'][-1]['outputs'][0]['text'])
        times = eval(last)   # {'trajectories': (seconds, error or None), ...}
        if name == 'demo':
            assert all(err is None for _, err in times.values()), times
            assert all(s < 3 for s, _ in times.values()), times                # explorers open in under 3 s
            size = out.stat().st_size
            assert size < 1_000_000, f'executed explore.ipynb is {size} bytes (plotly.js or image arrays embedded?)'
            print(f'open seconds {times}; executed notebook {size} bytes (source {NB.stat().st_size} bytes)')
        else:
            assert times['trajectories'][1].startswith('no trajectory study in'), times
            assert times['clusters'][1].startswith('no cluster study in'), times
            assert times['stability'][1] is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def _wait_http(url: str, timeout: float, proc=None, log=None):
    t0 = time.time(); last = None
    while time.time() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f'JupyterLab exited with {proc.returncode}:\n' + (Path(log).read_text()[-3000:] if log else ''))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200: return
        except Exception as e: last = e
        time.sleep(0.5)
    raise TimeoutError(f'{url} did not answer in {timeout} s: {last}')


_TRACE_JS = """() => {
  const gd = document.querySelector('.ltdi-trajectory-explorer .js-plotly-plot');
  if (!gd || !gd.data || gd.data.length < 6) return null;
  const t = gd.data[5]; return JSON.stringify([Array.from(t.x || []), Array.from(t.y || []), gd.data[3].x.length]);
}"""


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f'chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does)')
def test_explore_in_jupyterlab(demo_dir, tmp_path):
    from playwright.sync_api import sync_playwright
    work = tmp_path / 'lab'; work.mkdir()
    shutil.copy(NB, work / 'explore.ipynb')
    settings = tmp_path / 'settings' / '@jupyterlab' / 'apputils-extension'; settings.mkdir(parents=True)
    (settings / 'notification.jupyterlab-settings').write_text('{"fetchNews": "false", "checkForUpdates": false}')
    port, token = _free_port(), secrets.token_hex(16)
    env = _env(demo_dir, JUPYTERLAB_SETTINGS_DIR=str(tmp_path / 'settings'), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / 'ws'),
               JUPYTER_RUNTIME_DIR=str(tmp_path / 'runtime'))
    log = open(tmp_path / 'jupyterlab.log', 'w')
    lab = subprocess.Popen([str(BIN / 'jupyter-lab'), '--no-browser', '--ip=127.0.0.1', f'--port={port}',
                            f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={work}',
                            '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
                           + (['--allow-root'] if hasattr(os, 'geteuid') and os.geteuid() == 0 else []),
                           cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    shot = tmp_path / 'explorer.png'
    try:
        _wait_http(f'http://127.0.0.1:{port}/api/status?token={token}', 60, lab, tmp_path / 'jupyterlab.log')
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, timeout=60_000,
                                        args=['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'])
            try:
                page = browser.new_page(viewport={'width': 1400, 'height': 1000})
                page.set_default_timeout(60_000)
                console = []
                page.on('console', lambda m: console.append(f'{m.type}: {m.text}'))
                page.goto(f'http://127.0.0.1:{port}/lab/tree/explore.ipynb?token={token}&reset', timeout=60_000)
                page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=60_000)
                try:   # JupyterLab may ask which kernel to start: take the preselected one (python3)
                    page.locator('.jp-Dialog .jp-mod-accept').click(timeout=15_000)
                except Exception: pass
                page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000, state='attached')
                page.get_by_role('menuitem', name='Run', exact=True).click()
                page.get_by_role('menuitem', name='Run All Cells', exact=True).click()
                try:
                    page.wait_for_function(f'() => ({_TRACE_JS})() !== null', timeout=90_000)
                except Exception:
                    page.screenshot(path=str(shot)); shutil.copy(shot, '/tmp/explorer.png')
                    raise AssertionError('the trajectory figure never rendered; browser console:\n' + '\n'.join(console[-30:]))
                before = page.evaluate(_TRACE_JS)
                handle = page.locator('.ltdi-trajectory-explorer .ltdi-step .noUi-handle').first
                handle.scroll_into_view_if_needed(timeout=10_000)
                handle.focus(timeout=10_000)
                for _ in range(8): page.keyboard.press('ArrowRight')
                page.wait_for_function(f'(b) => ({_TRACE_JS})() !== b', arg=before, timeout=20_000)
                after = page.evaluate(_TRACE_JS)
                bx, ax = json.loads(before), json.loads(after)
                assert ax[2] > bx[2], (bx, ax)               # more of the reverse path is drawn
                assert ax[0] != bx[0] or ax[1] != bx[1]       # the marker at `step` moved
                page.locator('.ltdi-trajectory-explorer').first.scroll_into_view_if_needed(timeout=10_000)
                page.wait_for_timeout(500)
                page.screenshot(path=str(shot))
                # 2-D -> 3-D replaces every trace (widgets.replace_figure) in the page too
                page.locator('.ltdi-trajectory-explorer button', has_text='3-D').first.click(timeout=10_000)
                page.wait_for_function("() => { const gd = document.querySelector('.ltdi-trajectory-explorer .js-plotly-plot');"
                                       " return gd && gd.data && gd.data.length === 6 && gd.data.every(t => t.type === 'scatter3d'); }",
                                       timeout=20_000)
                # the other two explorers rendered as well (stability: 1 figure, clusters: 2)
                page.wait_for_function("() => document.querySelectorAll('.ltdi-stability-explorer .js-plotly-plot, "
                                       ".ltdi-cluster-explorer .js-plotly-plot').length >= 3", timeout=30_000)
                page.locator('.ltdi-cluster-explorer').first.scroll_into_view_if_needed(timeout=10_000)
                page.wait_for_timeout(300)
                page.screenshot(path=str(tmp_path / 'clusters.png'))
                text = page.locator('.jp-Notebook').inner_text(timeout=10_000)
                assert 'Traceback' not in text, text[-3000:]
            finally:
                browser.close()
        shutil.copy(shot, '/tmp/explorer.png'); shutil.copy(tmp_path / 'clusters.png', '/tmp/explorer_clusters.png')
        assert shot.stat().st_size > 10_000
    finally:
        lab.terminate()
        try: lab.wait(timeout=15)
        except subprocess.TimeoutExpired: lab.kill(); lab.wait(timeout=10)
        log.close()
