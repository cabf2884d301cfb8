# gyrus_set_warnings(<target>): the same warning set for every target we own.
function(gyrus_set_warnings target)
    if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wformat=2)
        if(GYRUS_FATAL_WARNINGS)
            target_compile_options(${target} PRIVATE -Werror)
        endif()
    endif()
endfunction()
