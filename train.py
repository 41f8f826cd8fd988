"""Trains a registered model, with TF-Slim's train_image_classifier flags.

  python train.py --model=inception_v3 --weight_decay=4e-5
  python train.py --config=configs/inception_v3_flowers_finetune.yaml --dataset_dir=/data/flowers

Without --dataset_name it trains on the embedded digits demo dataset, for one
epoch unless --max_number_of_steps says otherwise. Values come from the
flags' defaults, then the YAML recipe of --config, then the flags given on the
command line; the resolved config is written to <train_dir>/config.yaml.
`python train.py --helpfull` lists every flag.
"""

import os

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

from engine import cli, flags  # noqa: E402
from engine.config import ConfigError  # noqa: E402

flags.define(flags.COMMON, flags.TRAIN)


def main(argv):
  if len(argv) > 1:
    raise ConfigError('unexpected arguments %s; flags start with --' % ' '.join(argv[1:]))
  from engine import training
  config = flags.resolve([flags.COMMON, flags.TRAIN], other_tables=[flags.EVAL])
  config['train_dir'] = config['train_dir'] or os.path.join('runs', config['model_name'])
  result = training.train(config)
  print('trained %s to step %d; checkpoint %s' % (config['model_name'], result['step'],
                                                  result['checkpoint']))


if __name__ == '__main__':
  cli.run(main, 'train.py')
