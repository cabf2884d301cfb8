# gyrus_set_warnings(<target>): the same warning set for every target we own.
function(gyrus_set_warnings target)
    if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        # clang (the sanitizer and fuzz builds) has no -Wshadow=local.
        set(_shadow -Wshadow=local)
        if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
            set(_shadow "")
        endif()
        target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic ${_shadow}
                -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wformat=2)
        if(GYRUS_FATAL_WARNINGS)
            target_compile_options(${target} PRIVATE -Werror)
        endif()
    endif()
endfunction()
