"""TensorFlow.js models: `model.json` (+ binary weight shards), layers and graph flavours."""
