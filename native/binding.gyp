# Built by `npm install` (package.json "install": node-gyp rebuild --directory=native)
# into native/build/Release/cpt.node; src/native.ts is the only loader.
{
  "targets": [
    {
      "target_name": "cpt",
      "sources": [
        "src/addon.cc",
        "src/api.cc",
        "src/args.cc",
        "src/constants.cc",
        "src/errors.cc",
        "src/fd.cc",
        "src/restore.cc",
        "src/build.cc",
        "src/session.cc",
        "src/worker.cc"
      ],
      # "+" prepends ../kmod/uapi to node-gyp's own include_dirs (which with
      # nodedir=/usr include -I/usr/src) and -I directories win over system
      # ones, so <linux/cpt.h> is always our header, never a copy under
      # /usr/include or /usr/src. src/uapi.h also checks our header's markers.
      "include_dirs+": [
        "../kmod/uapi",
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      # C++ exceptions on: argument checks and failed syscalls throw
      # Napi::Error, which node-addon-api turns into JS throws. (Set here
      # rather than through node-addon-api's gyp targets, whose generated
      # makefiles would land in native/node_modules/.)
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": [
        "-Wall",
        "-Wextra",
        "-Werror"
      ]
    }
  ]
}
