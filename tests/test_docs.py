"""Every example in README.md and docs/*.md runs, so none can go stale.

The pages' convention (each page with examples says so at its top):
- ```python blocks of one page run in order in one namespace, like a notebook, in a fresh
  Python process per page (one page's global state, an armed Keras class or a TF1 setting,
  cannot reach another page), from the repository root.
- ```console blocks: each `$ ` line is a cheap command, run from the repository root
  (`.venv/bin/python` stands for this interpreter). The lines shown under it must appear in
  its output, in that order; `...` marks lines left out. It must exit 0.
- ```sh and ```text blocks are shown, not run: training runs and the like, which their own
  tests (test_train.py, test_serving.py, ...) cover.
"""

import glob
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ['README.md'] + sorted(os.path.relpath(p, ROOT)
                               for p in glob.glob(os.path.join(ROOT, 'docs', '*.md')))
SUBJECTS = ['scopes', 'nets', 'datasets', 'training', 'exporting', 'quantization',
            'performance', 'reliability']

# Runs the blocks it reads on stdin. Each block is compiled under the page's absolute path
# and its own line numbers, so a traceback points at the line of the page that failed.
RUNNER = '''
import json, sys
namespace = {"__name__": "__main__"}
for path, line, source in json.load(sys.stdin):
  exec(compile("\\n" * line + source, path, "exec"), namespace)
'''


def blocks(page, language):
  """[(line of the block's first line, text)] of each ```language block of `page`."""
  found, current = [], None
  with open(os.path.join(ROOT, page)) as f:
    for number, line in enumerate(f):
      if current is None:
        match = re.match(r'^```(\S*)\s*$', line)
        if match:
          current = (match.group(1), number + 1, [])
      elif line.startswith('```'):
        if current[0] == language:
          found.append((current[1], ''.join(current[2])))
        current = None
      else:
        current[2].append(line)
  assert current is None, '%s: a ``` block is never closed' % page
  return found


def _env():
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT)


def test_the_pages_exist_and_the_readme_is_short():
  assert sorted(os.path.basename(p)[:-3] for p in PAGES[1:]) == sorted(SUBJECTS)
  with open(os.path.join(ROOT, 'README.md')) as f:
    assert len(f.readlines()) <= 250


def test_links_between_pages_resolve():
  for page in PAGES:
    text = open(os.path.join(ROOT, page)).read()
    for target in re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', text):
      if not re.match(r'\w+://', target):
        path = os.path.normpath(os.path.join(ROOT, os.path.dirname(page), target))
        assert os.path.exists(path), '%s links to %s, which does not exist' % (page, target)


def test_the_examples_are_where_a_newcomer_looks():
  for page in ('README.md', 'docs/scopes.md', 'docs/nets.md', 'docs/datasets.md'):
    assert blocks(page, 'python'), page
  assert blocks('docs/scopes.md', 'console')


@pytest.mark.parametrize('page', [p for p in PAGES if blocks(p, 'python')])
def test_python_examples_run(page):
  path = os.path.join(ROOT, page)
  source = json.dumps([(path, line, text) for line, text in blocks(page, 'python')])
  done = subprocess.run([sys.executable, '-c', RUNNER], input=source, cwd=ROOT, env=_env(),
                        capture_output=True, text=True, timeout=600)
  assert done.returncode == 0, done.stderr[-4000:]


def _commands(page):
  """[(line, command, expected output lines)] of the page's ```console blocks."""
  found = []
  for first, text in blocks(page, 'console'):
    for offset, line in enumerate(text.splitlines()):
      if line.startswith('$ '):
        found.append((first + offset + 1, line[2:], []))
      elif line.strip() != '...':
        assert found and found[-1][0] >= first, '%s:%d: output before any $ line' % (
            page, first + offset + 1)
        found[-1][2].append(line.rstrip())
  return found


CONSOLE = [(page, line, command, expected) for page in PAGES
           for line, command, expected in _commands(page)]


@pytest.mark.parametrize('page, line, command, expected', CONSOLE,
                         ids=['%s:%d' % (page, line) for page, line, _, _ in CONSOLE])
def test_console_examples_print_what_the_page_shows(page, line, command, expected):
  args = shlex.split(command)
  if args[0] in ('python', '.venv/bin/python'):
    args[0] = sys.executable
  done = subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, text=True,
                        timeout=300)
  assert done.returncode == 0, done.stderr[-3000:]
  output = iter(line.rstrip() for line in done.stdout.splitlines())
  for want in expected:  # in order: each shown line is found after the one before it
    assert any(got == want for got in output), '%s:%d: %r is not in the output of %s:\n%s' % (
        page, line, want, command, done.stdout[-3000:])
