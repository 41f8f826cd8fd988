"""Runs train.py's Trainer in a fresh process (tests need logical devices or TF_CONFIG,
which TensorFlow reads once at start-up) and prints the replicas' weights as JSON.

  python tests/train_worker.py CONFIG_JSON [LOGICAL_CPUS]

CONFIG_JSON is one config, or a list of configs trained one after the other (a RESULT
line each).
"""

import json
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402


def main():
  configs = json.loads(sys.argv[1])
  cpus = int(sys.argv[2]) if len(sys.argv) > 2 else 1
  if cpus > 1:
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices('CPU')[0],
        [tf.config.LogicalDeviceConfiguration() for _ in range(cpus)])
  from engine import training
  for config in configs if isinstance(configs, list) else [configs]:
    train(training, config)


def train(training, config):
  trainer = training.Trainer(config)
  result = trainer.run()
  weights = {}
  for variable in trainer.net.variables:
    replicas = trainer.strategy.experimental_local_results(variable)
    weights[variable.name] = [float(tf.reduce_sum(tf.abs(r))) for r in replicas]
  print('RESULT ' + json.dumps({'step': result['step'], 'replicas': trainer.replicas,
                                'weights': weights, 'losses': result['losses']}))


if __name__ == '__main__':
  main()
