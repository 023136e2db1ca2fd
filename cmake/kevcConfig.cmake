# find_package(kevc): the kevc kernel compiler and kevc_add_kernel(), which compiles one spec at one shape into a
# static library target (the kernel plus the kevc runtime) with its header. docs/build.md describes it.
#
#   find_package(kevc REQUIRED)            # -Dkevc_DIR=<kevc>/cmake, or an installed <prefix>/lib/cmake/kevc
#   kevc_add_kernel(softmax_small
#     SPEC specs/softmax.kev               # relative to CMAKE_CURRENT_SOURCE_DIR
#     SHAPE M=64,N=1000                    # --shape (default: the spec's dims line)
#     [TARGET llvm]                        # the host CPU through LLVM (the only target with a C library)
#     [DB tuning.db]                       # take the tuned schedule from this database (default: none, --no-db)
#     [SCHEDULE file.trace] [CPU x86-64-v3] [CPU_FEATURES +avx2])
#   target_link_libraries(app PRIVATE softmax_small)   # then #include "softmax_small.h", call softmax_small_checked
#
# The kernel is rebuilt when the spec, the schedule, the database or kevc itself changes (kevc --depfile).
# KEVC_EXECUTABLE names the compiler; by default it is found next to this file (<kevc>/.build/{release,debug}) or
# in <prefix>/bin of an installed kevc, else on the PATH.
cmake_minimum_required(VERSION 3.20)
include_guard(GLOBAL)
find_package(Threads REQUIRED)

if(NOT KEVC_EXECUTABLE)
  find_program(KEVC_EXECUTABLE kevc
    HINTS "${CMAKE_CURRENT_LIST_DIR}/../.build/release" "${CMAKE_CURRENT_LIST_DIR}/../.build/debug"
          "${CMAKE_CURRENT_LIST_DIR}/../../../bin"
    REQUIRED)
endif()
set(kevc_FOUND TRUE)

function(kevc_add_kernel NAME)
  cmake_parse_arguments(PARSE_ARGV 1 K "" "SPEC;SHAPE;TARGET;DB;SCHEDULE;CPU;CPU_FEATURES" "")
  if(K_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kevc_add_kernel(${NAME}): unknown arguments ${K_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT K_SPEC)
    message(FATAL_ERROR "kevc_add_kernel(${NAME}): SPEC is required")
  endif()
  if(K_TARGET AND NOT K_TARGET STREQUAL "llvm")
    message(FATAL_ERROR "kevc_add_kernel(${NAME}): TARGET ${K_TARGET}: only llvm builds a C library")
  endif()
  get_filename_component(spec "${K_SPEC}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/kevc/${NAME}")
  file(MAKE_DIRECTORY "${dir}")
  set(args compile "${spec}" --name "${NAME}" --emit lib,header,meta --dump-dir "${dir}" --depfile "${dir}/${NAME}.d")
  set(depends "${spec}" "${KEVC_EXECUTABLE}")
  if(K_SHAPE)
    list(APPEND args --shape "${K_SHAPE}")
  endif()
  if(K_DB)
    get_filename_component(db "${K_DB}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --db "${db}")
  else()
    list(APPEND args --no-db)
  endif()
  if(K_SCHEDULE)
    get_filename_component(schedule "${K_SCHEDULE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --schedule "${schedule}")
  endif()
  if(K_CPU)
    list(APPEND args --cpu "${K_CPU}")
  endif()
  if(K_CPU_FEATURES)
    list(APPEND args --cpu-features "${K_CPU_FEATURES}")
  endif()
  # In kevc's pipeline order, the order of the depfile's targets (Ninja checks the first).
  set(outputs "${dir}/${NAME}.h" "${dir}/lib${NAME}.a" "${dir}/${NAME}.meta.json")
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${KEVC_EXECUTABLE}" ${args}
    DEPENDS ${depends}
    DEPFILE "${dir}/${NAME}.d"
    COMMENT "kevc: ${NAME} from ${K_SPEC} ${K_SHAPE}"
    VERBATIM)
  add_custom_target(${NAME}_kevc DEPENDS ${outputs})
  add_library(${NAME} STATIC IMPORTED GLOBAL)
  set_target_properties(${NAME} PROPERTIES
    IMPORTED_LOCATION "${dir}/lib${NAME}.a"
    INTERFACE_INCLUDE_DIRECTORIES "${dir}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_dependencies(${NAME} ${NAME}_kevc)
endfunction()
