// `JSON` lives in its own module so PendraJinja can share it; everything
// that imports PendraEngine (PendraHTTP, the binary, tests) keeps seeing it.
@_exported import PendraJSON
