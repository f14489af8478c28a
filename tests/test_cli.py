"""The installed `ltdi` console script: help, version, the tour job and its errors."""
import configparser, json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LTDI = str(Path(sys.executable).parent / 'ltdi')


def run(*args, **kw):
    return subprocess.run([LTDI, *args], capture_output=True, text=True, timeout=600, **kw)


def test_version_matches_settings():
    cfg = configparser.ConfigParser(); cfg.read(ROOT / 'settings.ini')
    r = run('--version')
    assert r.returncode == 0 and r.stdout.strip() == f"ltdi-workbench {cfg['DEFAULT']['version']}"


def test_help_lists_subcommands():
    r = run('--help')
    assert r.returncode == 0 and 'tour' in r.stdout


def test_tour_writes_results(tmp_path):
    r = run('--threads', '1', 'tour', '--dataset', 'glyphs', '--n-classes', '60', '--episodes', '30', '--out', str(tmp_path))
    assert r.returncode == 0, r.stderr
    recs = json.loads((tmp_path / 'metrics.json').read_text())
    acc = [x for x in recs if x['metric'] == 'accuracy' and x['ways'] == 5 and x['shots'] == 1]
    assert len(acc) == 1 and 0.2 < acc[0]['value'] <= 1.0   # 5-way chance is 0.2
    assert (tmp_path / 'grid.png').stat().st_size > 1000


def test_bad_dataset_is_a_clear_error(tmp_path):
    r = run('tour', '--dataset', 'glyphs', '--n-classes', '1', '--out', str(tmp_path))
    assert r.returncode == 2 and 'n_classes=1 is not allowed' in r.stderr
