"""`python -m engine.results DIR...`: the results.json files under DIRs as one table.

Each row names the run (the directory above its eval/) and what was evaluated: a
checkpoint, or an exported model as format/quantize (eval.py --model_file), so a
float model and its int8 export read side by side."""

import glob
import json
import os
import sys


def find(directories):
  """[(run name, results)] of every results.json under `directories`, in order."""
  found = []
  for directory in directories:
    for path in sorted(glob.glob(os.path.join(directory, '**', 'results.json'), recursive=True)):
      with open(path) as f:
        results = json.load(f)
      run = os.path.relpath(os.path.dirname(path), directory)
      run = os.path.dirname(run) if os.path.basename(run) == 'eval' else run
      # results of DIR itself (DIR/eval/results.json) are named by DIR
      found.append((run if run not in ('', '.') else os.path.basename(os.path.abspath(directory)),
                    results))
  return found


def table(rows):
  lines = ['%-28s %-18s %-18s %7s %7s %7s %8s' % ('run', 'evaluated', 'dataset', 'step', 'top1',
                                                  'top5', 'loss')]
  for run, r in rows:
    lines.append('%-28s %-18s %-18s %7s %7.4f %7.4f %8.4f' % (
        run, r.get('evaluated', 'checkpoint'), r['dataset'], r['step'], r['top1'], r['top5'],
        r['loss']))
  return '\n'.join(lines)


def main(argv):
  rows = find(argv or ['runs'])
  if not rows:
    print('no results.json under %s' % ', '.join(argv or ['runs']), file=sys.stderr)
    return 1
  print(table(rows))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv[1:]))
