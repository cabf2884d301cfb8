# gyrus_link_protobuf_first(<target>) is called on every executable that links gyrus_gpu, before
# any other target_link_libraries() call on it.
#
# Why: libtorch's onnx_proto uses the system libprotobuf (3.21). ARCHITECTURE.md §2 measured a
# start-up segfault when libsentencepiece (which carries its own protobuf-lite 3.14) and libtorch
# share a process unless libprotobuf.so loads first. That order alone turned out not to be enough:
# the first tokenizer load then aborts on the version mismatch. So sentencepiece is no longer
# linked into any executable; it lives in the gyrus_sentencepiece module, loaded with
# RTLD_DEEPBIND (gpu/model/CMakeLists.txt, gpu/model/sentencepiece_api.h). Keeping libprotobuf
# first is still harmless and protects against a library that links sentencepiece directly.
# --no-as-needed keeps the linker from dropping it, since the executable uses no protobuf symbol.
#
# Upstream LibTorch (the PyPI wheel, GYRUS_TORCH=wheel) links its protobuf statically with hidden
# symbols (it exports onnx_torch:: messages only and imports no protobuf symbol), so there is
# nothing to order and libprotobuf stays out of those executables (docs/torch2.md).
function(gyrus_link_protobuf_first target)
    if(NOT TORCH_INSTALL_PREFIX STREQUAL "/usr")
        return()
    endif()
    target_link_libraries(${target} PRIVATE "-Wl,--no-as-needed" "${GYRUS_PROTOBUF_LIBRARY}"
            "-Wl,--as-needed")
endfunction()

# gyrus_reuse_torch_pch(<target>): with GYRUS_TORCH_PCH, compile <target> with gyrus_gpu's
# precompiled <ATen/ATen.h>. GCC uses a PCH only when every macro defined on the PCH's command
# line is defined the same way here, so the target gets gyrus_gpu's two that it may lack.
function(gyrus_reuse_torch_pch target)
    if(GYRUS_TORCH_PCH)
        target_precompile_headers(${target} REUSE_FROM gyrus_gpu)
        target_compile_definitions(${target} PRIVATE BOOST_ALL_NO_LIB QT_NO_KEYWORDS)
    endif()
endfunction()
