#define HVC_BUILD_VERSION "e20b0f1-dirty"
#define HVC_BUILD_GIT_REV "e20b0f1f56aa4097c9ee2abc64c7e5c8332abfa9"
