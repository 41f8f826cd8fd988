"""Evaluates a checkpoint, with TF-Slim's eval_image_classifier flags.

  python eval.py --model=lenet --checkpoint_path=runs/lenet
  python eval.py --config=configs/inception_v3_imagenet.yaml --checkpoint_path=inception_v3.ckpt \
      --dataset_dir=/data/imagenet
  python eval.py --model_file=exported/lenet_int8/model.tflite

Top-1, top-5 and loss over the whole split, exactly once, printed and written
to <eval_dir>/results.json with TensorBoard summaries. --checkpoint_path is a
checkpoint (TF-Slim's or ours) or a directory (its latest checkpoint; with
--eval_interval_secs, each new one as it appears). --model_file evaluates an
exported model instead (a .tflite or .onnx file or a SavedModel directory; the
config.yaml export.py wrote beside it names the model and dataset), to
<export directory>/eval by default.
"""

import json
import os

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

from absl import flags as absl_flags  # noqa: E402

from engine import cli, flags  # noqa: E402
from engine.config import ConfigError  # noqa: E402

TABLES = (flags.COMMON, flags.EVAL, flags.EXPORTED)
flags.define(*TABLES)


def report(results):
  what = os.path.basename((results.get('model_file') or results['checkpoint']).rstrip('/'))
  print('eval %s %s step %s on %s (%d examples): top1 %.4f  top5 %.4f  loss %.4f' % (
      results['evaluated'], what, results['step'], results['dataset'], results['examples'],
      results['top1'], results['top5'], results['loss']), flush=True)
  published = results.get('published')  # ImageNet's validation split, an official model's
  if published:
    top5 = published['top5']
    print('published for the official checkpoint: top1 %.4f  top5 %s  (measured at %d with %s '
          'preprocessing)' % (published['top1'], 'n/a' if top5 is None else '%.4f' % top5,
                              published['image_size'], published['preprocessing']), flush=True)


def main(argv):
  if len(argv) > 1:
    raise ConfigError('unexpected arguments %s; flags start with --' % ' '.join(argv[1:]))
  from engine import evaluation, runtimes, serving
  model_file = absl_flags.FLAGS.model_file
  if model_file and absl_flags.FLAGS.checkpoint_path:
    raise ConfigError('give --model_file or --checkpoint_path, not both')
  # An export's config.yaml names its model and dataset, as a training run's does.
  base = serving.run_config(model_file) if model_file else None
  config = flags.resolve(TABLES, other_tables=[flags.TRAIN], base=base)
  if model_file:
    if config['eval_interval_secs']:
      raise ConfigError('--eval_interval_secs watches a train_dir; --model_file is one model')
    config['eval_dir'] = config['eval_dir'] or os.path.join(runtimes.directory_of(model_file),
                                                            'eval')
  elif not config['checkpoint_path']:
    raise ConfigError('--checkpoint_path is required: a checkpoint or a train_dir (or '
                      '--model_file: an exported model)')
  if not config['eval_dir']:
    base = config['checkpoint_path']
    if not (os.path.isdir(base) or config['eval_interval_secs']):  # a checkpoint prefix
      base = os.path.dirname(base) or '.'
    config['eval_dir'] = os.path.join(base, 'eval')
  results = evaluation.evaluate(config, report=report)
  print(json.dumps({k: results[k] for k in ('top1', 'top5', 'loss')}))


if __name__ == '__main__':
  cli.run(main, 'eval.py')
