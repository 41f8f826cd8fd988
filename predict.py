"""Classifies image files with a checkpoint or an exported model.

  python predict.py --checkpoint_path=runs/demo/lenet datasets/digits/examples/*.png
  python predict.py --saved_model=exported/lenet --output=predictions.csv photos/
  python predict.py --model_file=exported/lenet_int8/model.tflite photos/

Prints the top-5 classes with their probabilities for each image (a directory
stands for the images in it), or writes them to --output as CSV (image, rank,
class, label, probability) or JSON. --model_file reads a .tflite or .onnx file
(or a SavedModel directory) that export.py wrote, with the config.yaml and
labels.txt beside it.
"""

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

from absl import flags as absl_flags  # noqa: E402

from engine import cli, flags  # noqa: E402
from engine.config import ConfigError  # noqa: E402

TABLES = (flags.COMMON, flags.SERVE, flags.PREDICT, flags.EXPORTED)
flags.define(*TABLES)


def main(argv):
  from engine import predictions, runtimes, serving
  from nets import registry
  paths = predictions.image_files(argv[1:])
  given = ['--' + name for name in ('saved_model', 'model_file', 'checkpoint_path')
           if absl_flags.FLAGS[name].value]
  if len(given) > 1:
    raise ConfigError('give %s, not %s' % (' or '.join(given),
                                           'both' if len(given) == 2 else 'all three'))
  if absl_flags.FLAGS.model_file:
    runtime = runtimes.load(absl_flags.FLAGS.model_file)
    base = serving.run_config(runtime.path)  # the export's config.yaml: model, preprocessing
    config = flags.resolve(TABLES, other_tables=[flags.TRAIN, flags.EVAL, flags.EXPORT],
                           base=base)
    preprocessing = config['preprocessing_name'] or \
        registry.get(config['model_name']).preprocessing
    classify = runtimes.classify_function(runtime, preprocessing, config['top_k'])
  elif absl_flags.FLAGS.saved_model:
    if absl_flags.FLAGS['top_k'].present:  # checked before the load, which takes a while
      raise ConfigError('--top_k: a SavedModel reports the top_k it was exported with')
    config = flags.resolve(TABLES, other_tables=[flags.TRAIN, flags.EVAL, flags.EXPORT])
    classify = serving.load_saved_model(config['saved_model'])
  else:
    base = serving.run_config(absl_flags.FLAGS.checkpoint_path or '')
    config = flags.resolve(TABLES, other_tables=[flags.TRAIN, flags.EVAL, flags.EXPORT],
                           base=base)
    classifier, _ = serving.build(config, config['top_k'])
    classify = classifier.classify_bytes
  if config['output']:  # before the images are classified, not after
    predictions.check_output(config['output'])
  results = predictions.classify_files(classify, paths, config['batch_size'])
  if config['output']:
    predictions.write(results, config['output'])
    print('%d images: %s' % (len(results), config['output']))
  else:
    for line in predictions.lines(results):
      print(line)


if __name__ == '__main__':
  cli.run(main, 'predict.py')
