"""Run every notebook through nbdev's test runner (`nbdev_test`), one pytest case per notebook.

Set LTDI_TEST_FLAGS="slow" to also run the cells flagged `#| slow`. The text notebooks need the `[text]` extra
(part of `[dev]`): without it they fail, unless LTDI_SKIP_TEXT=1, which skips them visibly.
"""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT / 'nbs').rglob('*.ipynb')
             if '.ipynb_checkpoints' not in p.parts and not p.name.startswith('_'))
TEXT_NOTEBOOKS = ('07a_text.ipynb', '16_text_study.ipynb', 'ltdi_lora.ipynb')   # need the [text] extra
NBDEV_TEST = str(Path(sys.executable).parent / 'nbdev_test')


@pytest.mark.parametrize('nb', NBS, ids=lambda p: str(p.relative_to(ROOT / 'nbs')))
def test_notebook(nb):
    if os.environ.get('LTDI_SKIP_TEXT') == '1' and nb.name in TEXT_NOTEBOOKS:
        from ltdi_workbench.text import missing_text_stack
        if missing_text_stack(): pytest.skip(f"LTDI_SKIP_TEXT=1 and the text stack is missing: {missing_text_stack()}")
    cmd = [NBDEV_TEST, '--path', str(nb), '--n_workers', '0']
    if os.environ.get('LTDI_TEST_FLAGS'): cmd += ['--flags', os.environ['LTDI_TEST_FLAGS']]
    env = {**os.environ, 'LTDI_THREADS': os.environ.get('LTDI_THREADS', '1'), 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg'}
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=1200)
    assert r.returncode == 0 and 'Success' in r.stdout + r.stderr, (r.stdout[-6000:] + '\n' + r.stderr[-6000:])
