#!/usr/bin/env node
// Run a TensorFlow.js model from disk with the real TF.js runtime (pure-JS @tensorflow/tfjs,
// cpu backend) and print its outputs as JSON. kinspect uses it to verify the TF.js files it
// writes and to run TF.js models (`kinspect run`).
//
// Request on stdin (JSON): {"model": "/path/model.json", "inputs": {NAME: TENSOR}} where TENSOR
// is {"dtype": "float32"|"int32"|"bool", "shape": [...], "b64": little-endian raw bytes} or
// {"dtype", "shape", "data": [numbers]}; {"model": ..., "describe": true} lists the model's
// inputs and outputs instead. Response on stdout: {"outputs": {NAME: TENSOR}, "order": [...],
// "tfjs": version} or {"error": "..."}; anything tfjs logs goes to stderr.
//
// Models are loaded through a custom IOHandler (read model.json and the shards with fs;
// weightData = every group's shards concatenated in manifest order, weightSpecs in the same
// order): tf.io.fileSystem exists only in tfjs-node, whose install downloads a native library.
"use strict";

console.log = console.error; // tfjs's "install the node backend" notice must not reach stdout
console.warn = console.error;
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs");

function fileHandler(modelPath) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(modelPath, "utf8"));
      const dir = path.dirname(modelPath);
      const buffers = [];
      const specs = [];
      for (const group of json.weightsManifest || []) {
        for (const shard of group.paths) buffers.push(fs.readFileSync(path.join(dir, shard)));
        specs.push(...group.weights);
      }
      const data = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer,
        initializerSignature: json.initializerSignature,
        trainingConfig: json.trainingConfig,
        weightSpecs: specs,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      };
    },
  };
}

const ARRAYS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };

function toTensor(spec) {
  const dtype = spec.dtype || "float32";
  let values;
  if (spec.b64 !== undefined) {
    const raw = Buffer.from(spec.b64, "base64");
    const copy = new Uint8Array(raw); // aligned copy
    values = new ARRAYS[dtype](copy.buffer, 0, copy.byteLength / ARRAYS[dtype].BYTES_PER_ELEMENT);
  } else {
    values = spec.data;
  }
  return tf.tensor(values, spec.shape, dtype);
}

async function fromTensor(t) {
  const data = await t.data();
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { dtype: t.dtype, shape: t.shape, b64: raw.toString("base64") };
}

function isGraph(json) {
  return json.format === "graph-model" || (json.modelTopology && json.modelTopology.node);
}

async function load(modelPath) {
  const json = JSON.parse(fs.readFileSync(modelPath, "utf8"));
  if (isGraph(json)) return { kind: "graph", model: await tf.loadGraphModel(fileHandler(modelPath)) };
  return { kind: "layers", model: await tf.loadLayersModel(fileHandler(modelPath)) };
}

function describe(kind, model) {
  const io = (list) => list.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype }));
  if (kind === "layers") {
    // Named by their layers, as Keras names a model's inputs and outputs.
    const named = (list) => list.map((t) => ({ name: t.sourceLayer.name, shape: t.shape, dtype: t.dtype }));
    return { kind, inputs: named(model.inputs), outputs: named(model.outputs) };
  }
  return { kind, inputs: io(model.inputs), outputs: io(model.outputs) };
}

async function run(kind, model, inputs) {
  const info = describe(kind, model);
  const names = info.inputs.map((t) => t.name);
  const given = {};
  for (const [name, spec] of Object.entries(inputs)) given[name] = toTensor(spec);
  let result;
  if (kind === "layers") {
    const missing = names.filter((n) => !(n in given));
    if (missing.length) throw new Error(`missing input(s): ${missing.join(", ")}`);
    result = model.predict(names.map((n) => given[n]));
  } else {
    result = await model.executeAsync(given);
  }
  const list = Array.isArray(result) ? result : [result];
  const outNames = info.outputs.map((t) => t.name);
  const outputs = {};
  for (let i = 0; i < list.length; i++) outputs[outNames[i] || `output_${i}`] = await fromTensor(list[i]);
  return { outputs, order: Object.keys(outputs) };
}

async function main() {
  const request = JSON.parse(fs.readFileSync(0, "utf8"));
  await tf.setBackend("cpu");
  const { kind, model } = await load(request.model);
  let response;
  if (request.describe) response = describe(kind, model);
  else response = await run(kind, model, request.inputs || {});
  response.tfjs = tf.version.tfjs;
  response.backend = tf.getBackend();
  process.stdout.write(JSON.stringify(response));
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: String(err && err.message ? err.message : err) }));
  process.exitCode = 1;
});
