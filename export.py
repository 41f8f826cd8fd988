"""Exports a trained classifier for serving, as TF-Slim's export_inference_graph did and more.

  python export.py --checkpoint_path=runs/demo/lenet --export_dir=exported/lenet
  python export.py --model=inception_v3 --checkpoint_path=inception_v3.ckpt \
      --labels_file=imagenet/labels.txt --export_dir=exported/inception_v3 \
      --frozen_graph=inception_v3_frozen.pb

The SavedModel's 'serving_default' signature takes encoded images (JPEG, PNG,
GIF or BMP bytes, a batch of any length) and 'classify_images' float RGB
images in [0, 1]; both apply the model's eval preprocessing inside and return
logits, probabilities and the top-k classes with their names. With
--moving_average_decay the moving averages are exported. --frozen_graph also
writes a frozen GraphDef for the TF1 tool chain. A run's config.yaml beside
the checkpoint supplies the model, classes, size and labels.
"""

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

from absl import flags as absl_flags  # noqa: E402

from engine import cli, flags  # noqa: E402
from engine.config import ConfigError  # noqa: E402

TABLES = (flags.COMMON, flags.SERVE, flags.EXPORT)
flags.define(*TABLES)


def main(argv):
  if len(argv) > 1:
    raise ConfigError('unexpected arguments %s; flags start with --' % ' '.join(argv[1:]))
  from engine import serving
  base = serving.run_config(absl_flags.FLAGS.checkpoint_path or '')
  config = flags.resolve(TABLES, other_tables=[flags.TRAIN, flags.EVAL, flags.PREDICT],
                         base=base)
  if not config['export_dir'] and not config['frozen_graph']:
    raise ConfigError('--export_dir is required: the SavedModel directory to write')
  classifier, setup = serving.build(config, config['top_k'])
  print('%s, %d classes named by %s, %dx%d images, %s preprocessing, from %s' % (
      setup.spec.name, setup.num_classes, setup.labels_source, setup.image_size,
      setup.image_size, setup.preprocessing, setup.checkpoint), flush=True)
  if config['export_dir']:
    serving.save(classifier, config['export_dir'], config['overwrite'])
    print('SavedModel: %s (signatures %s: image bytes, %s: float images)' % (
        config['export_dir'], serving.BYTES_SIGNATURE, serving.IMAGES_SIGNATURE))
  if config['frozen_graph']:
    serving.write_frozen_graph(classifier, setup, config['frozen_graph'], config['overwrite'])
    print('frozen GraphDef: %s (input node %r, output nodes %s)' % (
        config['frozen_graph'], serving.INPUT_NODE, ', '.join(serving.OUTPUT_NODES)))


if __name__ == '__main__':
  cli.run(main, 'export.py')
