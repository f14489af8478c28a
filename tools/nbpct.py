"""Edit notebooks as percent-format text and back (a developer convenience; the .ipynb stays the source).

    python tools/nbpct.py to-py nbs/00_core.ipynb  > /tmp/00_core.py
    python tools/nbpct.py to-nb /tmp/00_core.py nbs/00_core.ipynb

Cells are separated by `# %%` (code), `# %% [markdown]` (markdown, every line prefixed by `# `)
or `# %% tags=["parameters"]` (code cell carrying cell tags). A marker's `id=<cell id>` keeps the cell's id across the
round trip (so an edit does not rewrite every cell id of the notebook); a cell without one gets a fresh id.
"""
import json, sys, re
import nbformat

def _id(c): return f" id={c['id']}" if c.get('id') else ''

def to_py(path):
    nb = nbformat.read(path, as_version=4)
    out = []
    for c in nb.cells:
        if c.cell_type == 'markdown':
            out.append('# %% [markdown]' + _id(c))
            out += ['# ' + l if l else '#' for l in c.source.split('\n')]
        else:
            tags = c.metadata.get('tags')
            out.append('# %%' + (f' tags={json.dumps(tags)}' if tags else '') + _id(c))
            out += c.source.split('\n')
        out.append('')
    return '\n'.join(out)

def to_nb(text):
    nb = nbformat.v4.new_notebook(); nb.nbformat_minor = 5
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    blocks = re.split(r'^(# %%.*)$', text, flags=re.M)
    for head, body in zip(blocks[1::2], blocks[2::2]):
        body = body.strip('\n')
        if head.startswith('# %% [markdown]'):
            src = '\n'.join(l[2:] if l.startswith('# ') else l.lstrip('#') for l in body.split('\n'))
            nb.cells.append(nbformat.v4.new_markdown_cell(src))
        else:
            cell = nbformat.v4.new_code_cell(body)
            m = re.search(r'tags=(\[.*\])', head)
            if m: cell.metadata['tags'] = json.loads(m.group(1))
            nb.cells.append(cell)
        m = re.search(r' id=([\w-]+)', head)
        if m: nb.cells[-1]['id'] = m.group(1)
    seen = set()
    for c in nb.cells:   # a duplicated marker (a cell copied while editing) gets a fresh id
        if c['id'] in seen: c['id'] = nbformat.v4.new_code_cell()['id']
        seen.add(c['id'])
    return nb

if __name__ == '__main__':
    cmd, *args = sys.argv[1:]
    if cmd == 'to-py': sys.stdout.write(to_py(args[0]))
    elif cmd == 'to-nb':
        nb = to_nb(open(args[0]).read())
        nbformat.write(nb, args[1])
    else: sys.exit(__doc__)
