""".tflite files: writer (QModel -> bytes), importer (bytes -> QModel), oracle (tflite-micro)."""
