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


# ---- one error boundary: an expected failure is one line and exit status 2; a bug keeps its traceback ----
import struct
import numpy as np
import pytest
from PIL import Image
from ltdi_workbench import cli

SUBCOMMANDS = ('tour', 'meta', 'fewshot', 'block', 'lora', 'stability', 'svcca', 'uht', 'sweep', 'results', 'report', 'tables')


def one_line(capsys, argv, command):
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = [l for l in err.splitlines() if l.startswith('ltdi ')]
    assert len(lines) == 1 and lines[0].startswith(f'ltdi {command}: error: ') and 'Traceback' not in err, err
    return lines[0]


def test_help_lists_each_subcommand_once():
    text = cli.build_parser().format_help()
    for c in SUBCOMMANDS:
        assert sum(l.split()[0] == c for l in text.splitlines() if l.startswith('    ') and l.split()) == 1, c


@pytest.mark.parametrize('bad', ['-4', '0', 'x'])
def test_threads_must_be_a_positive_int(capsys, bad):
    assert cli.main(['--threads', bad, 'tour']) == 2
    assert f"argument --threads: {bad!r} is not allowed: a positive int" in capsys.readouterr().err


def test_bad_threads_variable(capsys, monkeypatch):
    monkeypatch.setenv('LTDI_THREADS', '-3')
    assert "LTDI_THREADS='-3' is not allowed: a positive int" in one_line(capsys, ['tour', '--dataset', 'glyphs'], 'tour')


def test_corrupt_arrays_are_one_line(capsys, tmp_path):
    (tmp_path / 'a.pt').write_bytes(b'garbage'); (tmp_path / 'a.npy').write_bytes(b'garbage')
    one_line(capsys, ['svcca', str(tmp_path / 'a.pt'), str(tmp_path / 'a.pt')], 'svcca')
    one_line(capsys, ['svcca', str(tmp_path / 'a.npy'), str(tmp_path / 'a.npy')], 'svcca')
    with pytest.raises(Exception):   # --debug: the traceback instead
        cli.main(['--debug', 'svcca', str(tmp_path / 'a.pt'), str(tmp_path / 'a.pt')])


def test_bad_yaml_is_one_line(capsys, tmp_path):
    (tmp_path / 'grid.yaml').write_text('seed: [0, 1\n')
    one_line(capsys, ['sweep', 'x.ipynb', '--grid', str(tmp_path / 'grid.yaml'), '--out', str(tmp_path / 's')], 'sweep')


def test_empty_fashion_folder_is_named(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv('LTDI_FASHION_DIR', str(tmp_path))
    line = one_line(capsys, ['tour', '--dataset', 'fashion', '--out', str(tmp_path / 'o')], 'tour')
    assert f"LTDI_FASHION_DIR={str(tmp_path)!r} holds no Fashion-MNIST IDX files" in line


def test_fashion_count_mismatch_names_both_files(capsys, monkeypatch, tmp_path):
    idx = lambda a: struct.pack('>HBB', 0, 8, a.ndim) + struct.pack('>' + 'I' * a.ndim, *a.shape) + a.tobytes()
    (tmp_path / 'train-images-idx3-ubyte').write_bytes(idx(np.zeros((6, 28, 28), np.uint8)))
    (tmp_path / 'train-labels-idx1-ubyte').write_bytes(idx(np.zeros(5, np.uint8)))
    monkeypatch.setenv('LTDI_FASHION_DIR', str(tmp_path))
    line = one_line(capsys, ['tour', '--dataset', 'fashion', '--out', str(tmp_path / 'o')], 'tour')
    assert f"{tmp_path / 'train-images-idx3-ubyte'} holds 6 images but {tmp_path / 'train-labels-idx1-ubyte'} holds 5 labels" in line


def test_corrupt_image_is_named(capsys, monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    for part in ('train', 'val', 'test'):
        d = tmp_path / 'miniimagenet' / part / f'n0{part}'; d.mkdir(parents=True)
        for j in range(2): Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(d / f'{j}.png')
    bad = tmp_path / 'miniimagenet' / 'val' / 'n0val' / '1.png'
    bad.write_bytes(bad.read_bytes()[:600])   # truncated
    monkeypatch.setenv('LTDI_DATA', str(tmp_path))
    assert f"cannot read image {bad}" in one_line(capsys, ['tour', '--dataset', 'miniimagenet', '--out', str(tmp_path / 'o')], 'tour')


def test_one_column_csv_is_named(capsys, monkeypatch, tmp_path):
    (tmp_path / 'miniimagenet' / 'images').mkdir(parents=True)
    (tmp_path / 'miniimagenet' / 'train.csv').write_text('filename\na.jpg\n')
    monkeypatch.setenv('LTDI_DATA', str(tmp_path))
    line = one_line(capsys, ['tour', '--dataset', 'miniimagenet', '--out', str(tmp_path / 'o')], 'tour')
    assert f"{tmp_path / 'miniimagenet' / 'train.csv'}, line 2" in line and 'filename,label' in line


def test_empty_class_folder_is_named(capsys, monkeypatch, tmp_path):
    (tmp_path / 'miniimagenet' / 'train' / 'n01').mkdir(parents=True)
    monkeypatch.setenv('LTDI_DATA', str(tmp_path))
    line = one_line(capsys, ['tour', '--dataset', 'miniimagenet', '--out', str(tmp_path / 'o')], 'tour')
    assert f"class folder {tmp_path / 'miniimagenet' / 'train' / 'n01'} holds no images" in line


def test_a_bug_keeps_its_traceback(monkeypatch):
    def bug(*a, **k): raise TypeError('a bug')
    monkeypatch.setattr(cli, 'tour', bug)
    with pytest.raises(TypeError, match='a bug'): cli.main(['tour'])


def test_console_script_one_line(tmp_path):
    (tmp_path / 'a.pt').write_bytes(b'garbage')
    r = run('svcca', str(tmp_path / 'a.pt'), str(tmp_path / 'a.pt'))
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert [l for l in r.stderr.splitlines() if l.startswith('ltdi')] == [r.stderr.splitlines()[-1]]
    assert r.stderr.splitlines()[-1].startswith('ltdi svcca: error: ')
