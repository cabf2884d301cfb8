# Sanitizers apply to every target so that allocations crossing library boundaries are tracked.
set(_gyrus_sanitizers "")
if(GYRUS_SANITIZE_ADDRESS)
    list(APPEND _gyrus_sanitizers address)
endif()
if(GYRUS_SANITIZE_UNDEFINED)
    list(APPEND _gyrus_sanitizers undefined)
endif()
if(_gyrus_sanitizers)
    list(JOIN _gyrus_sanitizers "," _gyrus_sanitize_list)
    add_compile_options(-fsanitize=${_gyrus_sanitize_list} -fno-omit-frame-pointer)
    # Line tables only: reports name files and lines at a fraction of full debug info's cost.
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        add_compile_options(-gline-tables-only)
    else()
        add_compile_options(-g1)
    endif()
    # Debug info names the build directory (DW_AT_comp_dir), so ccache keys every object on it
    # and a second checkout or a clean clone compiles everything again. Mapped to ".", the
    # objects are the same in every build directory and ccache (with base_dir set above the
    # checkouts) leaves the directory out of its key: other build directories hit the cache.
    add_compile_options(-fdebug-prefix-map=${CMAKE_BINARY_DIR}=.)
    # Debian's LibTorch loads OpenCV, which loads Qt 5. At -O0 an executable keeps out-of-line
    # copies of Qt 6's inline members (QByteArray::append(const char *) ...); those that share a
    # mangled name with a Qt 5 export would be exported and bind Qt 5's own calls to Qt 6 code
    # (Qt 5 Widgets crashed in its static initialisers before main). Hidden inline copies are
    # never exported, as Qt's own libraries build theirs.
    add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fvisibility-inlines-hidden>)
    add_link_options(-fsanitize=${_gyrus_sanitize_list})
endif()
