# gyrus_link_protobuf_first(<target>) must be called on every executable that links gyrus_gpu,
# before any other target_link_libraries() call on it.
#
# Why: libsentencepiece and libtorch's onnx_proto both use libprotobuf. Unless libprotobuf.so is
# the first of them in the executable's load order, their static initialisers run against an
# uninitialised protobuf and the process segfaults before main() (measured on Debian bookworm,
# ARCHITECTURE.md §2). --no-as-needed keeps the linker from dropping it because the executable
# itself uses no protobuf symbol.
function(gyrus_link_protobuf_first target)
    target_link_libraries(${target} PRIVATE "-Wl,--no-as-needed" "${GYRUS_PROTOBUF_LIBRARY}"
            "-Wl,--as-needed")
endfunction()
