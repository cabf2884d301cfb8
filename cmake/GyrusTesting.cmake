# gyrus_add_qtest(NAME <name> SOURCES <files...> LIBS <targets...> LABELS <labels...>
#                 [TIMEOUT <s>] [TORCH])
# One Qt Test executable registered with CTest. Labels (ARCHITECTURE.md §8): fast, gpu-code,
# widgets, app, cuda. TORCH marks executables that link torch, so protobuf goes first.
function(gyrus_add_qtest)
    cmake_parse_arguments(T "TORCH" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 300)
    endif()
    if(GYRUS_SANITIZE_ADDRESS OR GYRUS_SANITIZE_UNDEFINED)
        # Instrumented at -O0 (scripts/configure-sanitizers), the heaviest tests run 10-20x
        # slower: tst_hf_tokenizer_reference needs minutes for its eight real tokenizers.
        math(EXPR T_TIMEOUT "${T_TIMEOUT} * 4")
    endif()
    add_executable(${T_NAME} ${T_SOURCES})
    if(T_TORCH)
        gyrus_link_protobuf_first(${T_NAME})
        # Not app or widget tests: QT_NO_KEYWORDS, which the PCH needs, breaks qcustomplot.h.
        if("gpu-code" IN_LIST T_LABELS OR "cuda" IN_LIST T_LABELS)
            gyrus_reuse_torch_pch(${T_NAME})
        endif()
    endif()
    target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} Qt6::Test gyrus_test_support)
    # No absolute paths on test compile lines (they would defeat the compiler cache across
    # checkouts): tests ask tests/support/test_paths.h.
    gyrus_set_warnings(${T_NAME})
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    # Offscreen platform: widget tests run on machines without a display; test logs stay quiet
    # unless a test opts in.
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
            ENVIRONMENT "QT_QPA_PLATFORM=offscreen;QT_LOGGING_RULES=gyrus.*.debug=false")
endfunction()
