"""The pipeline's node ids, defined once; imports nothing.

pipeline.py gives every node its id from here, and what reads a run by its components (the run
report's sections, the schema refresh, the benchmarks) names them from here, without TFX.
"""

IMPORT_EXAMPLE_GEN = "ImportExampleGen"
PAIRS_EXAMPLE_GEN = "PairsExampleGen"  # the named pairs sets' records, when configured
STATISTICS_GEN = "StatisticsGen"
SCHEMA_GEN = "SchemaGen"  # inferred, or ImportSchemaGen with the reviewed schema: one id for caches and tools
EXAMPLE_VALIDATOR = "ExampleValidator"
TRANSFORM = "Transform"
TRAINER = "Trainer"
LATEST_BLESSED_MODEL_RESOLVER = "latest_blessed_model_resolver"
BASE_MODEL_IMPORTER = "base_model_importer"  # a starting model's folder as the Trainer's base model
EMBEDDING_EVALUATOR = "EmbeddingEvaluator"
PUSHER = "Pusher"  # the VersionedPusher, under the id of the pipeline's Pusher
