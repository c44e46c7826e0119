#!/usr/bin/env python3
"""Writes fuzz_image_json seeds from a real OCI layout (argv[1]) into argv[2]:
index.json, manifest and config joined by lines "--", with the digests and
sizes that link them replaced by @N/#N (tests/fuzz/fuzz_image_json.c)."""
import json, os, sys

layout, out = sys.argv[1], sys.argv[2]
blob = lambda d: open(os.path.join(layout, "blobs", d.replace(":", "/")), "rb").read()
index = json.load(open(os.path.join(layout, "index.json")))
desc = index["manifests"][0]
man_raw = blob(desc["digest"])
man = json.loads(man_raw)
cfg_raw = blob(man["config"]["digest"])

def sub(text, digest, size, n):
    return text.replace(digest, "@%d" % n).replace('"size": %d' % size, '"size": #%d' % n) \
               .replace('"size":%d' % size, '"size":#%d' % n)

idx_t = sub(json.dumps(index, indent=2), desc["digest"], desc["size"], 1).replace("tiny:1", "fuzz")
man_t = sub(man_raw.decode(), man["config"]["digest"], man["config"]["size"], 2)
seeds = {
    "image": [idx_t, man_t, cfg_raw.decode()],
    # an image index in front of the manifest (multi-platform form)
    "image-index": [idx_t.replace("manifest.v1", "index.v1"),
                    json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                               "digest": "@2", "size": "#2",
                                               "platform": {"architecture": "amd64", "os": "linux"}}]}
                               ).replace('"#2"', "#2"),
                    man_t.replace("@2", "@3").replace("#2", "#3"), cfg_raw.decode()],
    "empty-index": ['{"schemaVersion": 2, "manifests": []}'],
}
for name, parts in seeds.items():
    with open(os.path.join(out, name), "w") as f:
        f.write("\n--\n".join(parts))
