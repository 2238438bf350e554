"""The face record contract: the TFRecord layouts (`contract`), their feature names (`features`,
without TensorFlow), reading them back (`reading`), atomic sharded writing (`shards`) and
identity-disjoint splits (`splits`). Import the modules directly; this package imports nothing.
"""
