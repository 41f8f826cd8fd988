"""Exports a trained classifier for serving and deployment, as TF-Slim's export_inference_graph
did and more.

  python export.py --checkpoint_path=runs/demo/lenet --export_dir=exported/lenet
  python export.py --checkpoint_path=runs/demo/lenet --format=tflite --quantize=int8_full \
      --export_dir=exported/lenet_int8
  python export.py --model=inception_v3 --checkpoint_path=inception_v3.ckpt \
      --labels_file=imagenet/labels.txt --export_dir=exported/inception_v3 \
      --frozen_graph=inception_v3_frozen.pb

--format: a SavedModel (the default) whose 'serving_default' signature takes
encoded images (JPEG, PNG, GIF or BMP bytes, a batch of any length),
'classify_images' float RGB images in [0, 1] and 'classify_preprocessed' the
eval-preprocessed images; TF-Slim's frozen GraphDef; a TensorFlow Lite model
(float, float16, dynamic-range, int8 calibrated on real images, or full-integer
for the Edge TPU with --edgetpu); or an ONNX model. Each export directory also
holds labels.txt and config.yaml. With --moving_average_decay the moving
averages are exported. --frozen_graph also writes a frozen GraphDef for the TF1
tool chain. A run's config.yaml beside the checkpoint supplies the model,
classes, size and labels.
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
  from engine import exporting, serving
  values = absl_flags.FLAGS
  base = serving.run_config(values.checkpoint_path or '')
  config = flags.resolve(TABLES, other_tables=[flags.TRAIN, flags.EVAL, flags.PREDICT],
                         base=base)
  # Only flags given here count as asked for: a recipe's batch_size is eval's, not the
  # exported model's fixed batch.
  given = frozenset(name for name in flags.names(*TABLES) if values[name].present)
  exporting.export(config, given, report=lambda line: print(line, flush=True))


if __name__ == '__main__':
  cli.run(main, 'export.py')
