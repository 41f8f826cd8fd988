"""Evaluates a checkpoint, with TF-Slim's eval_image_classifier flags.

  python eval.py --model=lenet --checkpoint_path=runs/lenet
  python eval.py --config=configs/inception_v3_imagenet.yaml --checkpoint_path=inception_v3.ckpt \
      --dataset_dir=/data/imagenet

Top-1, top-5 and loss over the whole split, exactly once, printed and written
to <eval_dir>/results.json with TensorBoard summaries. --checkpoint_path is a
checkpoint (TF-Slim's or ours) or a directory (its latest checkpoint; with
--eval_interval_secs, each new one as it appears).
"""

import json
import os

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

from engine import cli, flags  # noqa: E402
from engine.config import ConfigError  # noqa: E402

flags.define(flags.COMMON, flags.EVAL)


def report(results):
  print('eval %s step %s on %s (%d examples): top1 %.4f  top5 %.4f  loss %.4f' % (
      os.path.basename(results['checkpoint']), results['step'], results['dataset'],
      results['examples'], results['top1'], results['top5'], results['loss']), flush=True)


def main(argv):
  if len(argv) > 1:
    raise ConfigError('unexpected arguments %s; flags start with --' % ' '.join(argv[1:]))
  from engine import evaluation
  config = flags.resolve([flags.COMMON, flags.EVAL], other_tables=[flags.TRAIN])
  if not config['checkpoint_path']:
    raise ConfigError('--checkpoint_path is required: a checkpoint or a train_dir')
  if not config['eval_dir']:
    base = config['checkpoint_path']
    if not (os.path.isdir(base) or config['eval_interval_secs']):  # a checkpoint prefix
      base = os.path.dirname(base) or '.'
    config['eval_dir'] = os.path.join(base, 'eval')
  results = evaluation.evaluate(config, report=report)
  print(json.dumps({k: results[k] for k in ('top1', 'top5', 'loss')}))


if __name__ == '__main__':
  cli.run(main, 'eval.py')
