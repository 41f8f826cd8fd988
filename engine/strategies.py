"""`make_strategy(name)`: the tf.distribute strategy a run asks for.

  auto          MirroredStrategy with more than one GPU, else one device
  one_device    the first GPU, else the CPU
  mirrored      every local GPU (or every logical CPU device when there is no GPU)
  multi_worker  MultiWorkerMirroredStrategy; the cluster comes from TF_CONFIG
  tpu           TPUStrategy on the TPU that --tpu names (or the local one)
"""

import json
import os
import re

import tensorflow as tf

NAMES = ('auto', 'one_device', 'mirrored', 'multi_worker', 'tpu')


class StrategyError(ValueError):
  """A strategy that cannot run here; the message says why."""


# What a collective op raises when a peer worker has died or become unreachable.
PEER_ERRORS = (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.CancelledError,
               tf.errors.DeadlineExceededError)


def is_multi_worker(strategy):
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or not resolver.task_type:
    return False
  cluster = resolver.cluster_spec().as_dict()
  return len(cluster.get('worker', [])) + len(cluster.get('chief', [])) > 1


def peer_lost(error, strategy, latest_checkpoint):
  """The one-line StrategyError for a collective op that failed because another
  worker died: the job stops at once rather than wait for it."""
  text = str(getattr(error, 'message', error))
  # The first line is often only "Graph execution error:"; the cause is further on.
  cause = re.search(r'Collective ops is aborted by: [^\n]*|[^\n]*[Hh]eartbeat[^\n]*'
                    r'|[^\n]*(?:Connection reset|Socket closed|failed to connect)[^\n]*', text)
  first = cause.group(0).strip() if cause else type(error).__name__
  return StrategyError(
      'another worker of the job failed or became unreachable (%s); every worker stops. '
      'Restart all workers with the same command to resume from %s'
      % (first[:160], latest_checkpoint or 'the start'))


def _local_devices():
  gpus = tf.config.list_logical_devices('GPU')
  return [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices('CPU')]


def make_strategy(name='auto', tpu=None):
  if name not in NAMES:
    raise StrategyError('--strategy=%s is unknown; valid: %s' % (name, ', '.join(NAMES)))
  if name == 'auto':
    name = 'mirrored' if len(tf.config.list_logical_devices('GPU')) > 1 else 'one_device'
  if name == 'one_device':
    return tf.distribute.OneDeviceStrategy(_local_devices()[0])
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy(_local_devices())
  if name == 'multi_worker':
    try:
      cluster = json.loads(os.environ.get('TF_CONFIG', ''))['cluster']
    except (ValueError, KeyError, TypeError):
      raise StrategyError('--strategy=multi_worker needs TF_CONFIG with a "cluster" and a '
                          '"task" (see tf.distribute.MultiWorkerMirroredStrategy)') from None
    if not cluster.get('worker'):
      raise StrategyError('TF_CONFIG names no workers: %s' % os.environ['TF_CONFIG'])
    return tf.distribute.MultiWorkerMirroredStrategy()
  try:
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or '')
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
  except (ValueError, tf.errors.OpError) as e:
    raise StrategyError('--strategy=tpu: no TPU found (%s)' % str(e).split('\n')[0]) from None
  return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy):
  """Whether this worker writes checkpoints, summaries and logs."""
  resolver = getattr(strategy, 'cluster_resolver', None)
  if resolver is None or not resolver.task_type:
    return True
  return resolver.task_type == 'chief' or (
      resolver.task_type == 'worker' and resolver.task_id == 0
      and 'chief' not in resolver.cluster_spec().as_dict())
