# Debian packages vitals-agent, vitals-hub and vitalsctl, built with CPack from this build tree:
#   scripts/package      (or: cmake --build build --target vitals_package_files && cd build && cpack)
# The packages land in <build>/packages/. docs/packaging.md explains the layout and the choices.

# Lintian wants read-only relocations on the installed binaries: relinks only, no recompilation.
foreach(t vitals-agent vitals-hub vitalsctl)
  if(TARGET ${t})
    target_link_options(${t} PRIVATE LINKER:-z,relro LINKER:-z,now)
  endif()
endforeach()

set(VITALS_DEB_DIR ${CMAKE_CURRENT_LIST_DIR}/debian)
set(VITALS_DEB_OUT ${CMAKE_BINARY_DIR}/deb)

# Per-package files that are generated: maintainer scripts, conffiles lists, gzip'd docs and man
# pages. They are built by the target vitals_package_files (not ALL: only packaging needs them).
set(vitals_package_outputs)
# Package vitals-agent is the CPack component "agent", vitals-hub "hub", vitalsctl "ctl".
function(vitals_deb_component pkg out)
  string(REGEX REPLACE "^vitals-?" "" c ${pkg})
  set(${out} ${c} PARENT_SCOPE)
endfunction()
function(vitals_deb_doc pkg src name)
  vitals_deb_component(${pkg} comp)
  set(out ${VITALS_DEB_OUT}/${pkg}/doc/${name}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${VITALS_DEB_OUT}/${pkg}/doc
    COMMAND sh -c "gzip -9nc '${src}' > '${out}'"
    DEPENDS ${src} VERBATIM)
  set(vitals_package_outputs ${vitals_package_outputs} ${out} PARENT_SCOPE)
  install(FILES ${out} DESTINATION share/doc/${pkg} COMPONENT ${comp})
endfunction()

function(vitals_deb_man pkg target summary)
  vitals_deb_component(${pkg} comp)
  set(out ${VITALS_DEB_OUT}/${pkg}/${target}.1.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${VITALS_DEB_OUT}/${pkg}
    COMMAND ${VITALS_DEB_DIR}/manpage.sh $<TARGET_FILE:${target}> ${target} "${summary}" ${out}
    DEPENDS ${target} ${VITALS_DEB_DIR}/manpage.sh VERBATIM)
  set(vitals_package_outputs ${vitals_package_outputs} ${out} PARENT_SCOPE)
  install(FILES ${out} DESTINATION share/man/man1 COMPONENT ${comp})
endfunction()

# A service package: maintainer scripts for its unit and state directory, its conffile.
function(vitals_deb_service pkg state conffile)
  vitals_deb_component(${pkg} comp)
  set(PKG ${pkg})
  set(STATE ${state})
  foreach(script postinst prerm postrm)
    configure_file(${VITALS_DEB_DIR}/${script}.in ${VITALS_DEB_OUT}/${pkg}/control/${script} @ONLY
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                       WORLD_EXECUTE)
  endforeach()
  file(WRITE ${VITALS_DEB_OUT}/${pkg}/control/conffiles "/etc/vitals/${conffile}\n")
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/etc/${conffile} DESTINATION /etc/vitals COMPONENT ${comp})
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/systemd/${pkg}.service DESTINATION /lib/systemd/system
          COMPONENT ${comp})
  string(TOUPPER ${comp} PKG_UPPER)
  set(CPACK_DEBIAN_${PKG_UPPER}_PACKAGE_CONTROL_EXTRA
      "${VITALS_DEB_OUT}/${pkg}/control/conffiles;${VITALS_DEB_OUT}/${pkg}/control/postinst;${VITALS_DEB_OUT}/${pkg}/control/prerm;${VITALS_DEB_OUT}/${pkg}/control/postrm"
      PARENT_SCOPE)
endfunction()

if(TARGET vitals-agent AND TARGET vitals-hub AND TARGET vitalsctl)
  install(TARGETS vitals-agent RUNTIME DESTINATION bin COMPONENT agent)
  install(TARGETS vitals-hub RUNTIME DESTINATION bin COMPONENT hub)
  install(TARGETS vitalsctl RUNTIME DESTINATION bin COMPONENT ctl)
  vitals_deb_service(vitals-agent /var/lib/vitals-agent agent.yaml)
  vitals_deb_service(vitals-hub /var/lib/vitals-hub hub.yaml)
  # agent.yaml includes /etc/vitals/conf.d/*.yaml: the directory must exist (empty is fine).
  file(MAKE_DIRECTORY ${VITALS_DEB_OUT}/empty)
  install(DIRECTORY ${VITALS_DEB_OUT}/empty/ DESTINATION /etc/vitals/conf.d COMPONENT agent)
  foreach(pkg vitals-agent vitals-hub vitalsctl)
    vitals_deb_component(${pkg} comp)
    install(FILES ${VITALS_DEB_DIR}/copyright DESTINATION share/doc/${pkg} COMPONENT ${comp})
    vitals_deb_doc(${pkg} ${VITALS_DEB_DIR}/changelog changelog)
  endforeach()
  vitals_deb_doc(vitals-agent ${CMAKE_SOURCE_DIR}/docs/configuration-agent.md configuration-agent.md)
  vitals_deb_doc(vitals-hub ${CMAKE_SOURCE_DIR}/docs/configuration-hub.md configuration-hub.md)
  vitals_deb_doc(vitals-hub ${CMAKE_SOURCE_DIR}/docs/operations.md operations.md)
  vitals_deb_doc(vitals-hub ${CMAKE_SOURCE_DIR}/docs/security.md security.md)
  vitals_deb_man(vitals-agent vitals-agent "probes this host's services and publishes the results")
  vitals_deb_man(vitals-hub vitals-hub "stores agents' results and serves the service status")
  vitals_deb_man(vitalsctl vitalsctl "command-line client of the vitals hub")
  add_custom_target(vitals_package_files DEPENDS ${vitals_package_outputs})

  # cpack installs what is built; it does not build the tests first (scripts/package builds
  # the three programs and vitals_package_files).
  set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGE_NAME vitals)
  set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
  set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_STRIP_FILES ON)
  set(CPACK_DEB_COMPONENT_INSTALL ON)
  set(CPACK_COMPONENTS_ALL agent hub ctl)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "vitals maintainers <vitals@example.org>")
  set(CPACK_DEBIAN_PACKAGE_SECTION admin)
  set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
  set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

  set(CPACK_DEBIAN_AGENT_PACKAGE_NAME vitals-agent)
  set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS adduser)
  set(CPACK_DEBIAN_AGENT_PACKAGE_SUGGESTS "libpq5, nats-server")
  set(CPACK_DEBIAN_AGENT_DESCRIPTION
      "vitals agent: probes local services, publishes results on NATS\n\
The agent of the vitals service-health system. It probes the services of\n\
its host (HTTP, TCP, PostgreSQL, Redis, disks, logs, commands, containers,\n\
systemd units) on a schedule and publishes the results to the hub through\n\
NATS JetStream, spooling them on disk while the bus is away.\n\
.\n\
Installs a hardened systemd unit running as the system user vitals.\n\
libpq5 is loaded only when a postgres check is configured.")
  set(CPACK_DEBIAN_HUB_PACKAGE_NAME vitals-hub)
  set(CPACK_DEBIAN_HUB_PACKAGE_DEPENDS adduser)
  set(CPACK_DEBIAN_HUB_PACKAGE_RECOMMENDS "postgresql, nats-server")
  set(CPACK_DEBIAN_HUB_DESCRIPTION
      "vitals hub: stores service health and serves it over a REST API\n\
The hub of the vitals service-health system. It ingests the agents' results\n\
from NATS JetStream into PostgreSQL, keeps the current status of every\n\
service, runs alerts and automatic repairs, and serves a REST API, a status\n\
page and Prometheus metrics.\n\
.\n\
Installs a hardened systemd unit running as the system user vitals.")
  set(CPACK_DEBIAN_CTL_PACKAGE_NAME vitalsctl)
  set(CPACK_DEBIAN_CTL_DESCRIPTION
      "vitals command-line client\n\
vitalsctl asks a vitals hub for the status of services, checks, agents,\n\
alerts and repairs, and writes NATS permission files for agents and hubs.")
  include(CPack)
endif()

# The packaging test (tests/packaging/install_test.sh): build, lint, install into a clean
# Debian 12 root, run, purge. Needs root; skipped (77) otherwise.
if(TARGET vitals-agent AND TARGET vitals-hub AND TARGET vitalsctl AND DEFINED VITALS_TEST_RUN)
  add_test(NAME packaging.install
           COMMAND ${CMAKE_SOURCE_DIR}/tests/packaging/install_test.sh ${CMAKE_BINARY_DIR}
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(packaging.install PROPERTIES LABELS packaging SKIP_RETURN_CODE 77
    FIXTURES_REQUIRED vitals_services ENVIRONMENT VITALS_TEST_RUN=${VITALS_TEST_RUN} TIMEOUT 900)
endif()

# Prometheus scrapes a real hub and agent; promtool checks their /metrics and
# deploy/prometheus/vitals.rules.yml (tests/integration/prometheus_test.sh).
if(TARGET vitals-agent AND TARGET vitals-hub AND DEFINED VITALS_TEST_RUN)
  add_test(NAME integration.prometheus
           COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/prometheus_test.sh ${CMAKE_BINARY_DIR}
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration.prometheus PROPERTIES LABELS integration
    FIXTURES_REQUIRED vitals_services RESOURCE_LOCK vitals_services
    ENVIRONMENT VITALS_TEST_RUN=${VITALS_TEST_RUN} TIMEOUT 300)
endif()

# The container images and stack (tests/packaging/containers_test.sh, scripts/containers): build
# the images from the packages, run the pod, check the hub sees the agent's services, tear down.
# Needs root and Podman; skipped (77) otherwise. Runs after packaging.install to reuse its
# packages (it makes them itself when they are absent).
if(TARGET vitals-agent AND TARGET vitals-hub AND TARGET vitalsctl AND DEFINED VITALS_TEST_RUN)
  add_test(NAME packaging.containers
           COMMAND ${CMAKE_SOURCE_DIR}/tests/packaging/containers_test.sh ${CMAKE_BINARY_DIR}
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(packaging.containers PROPERTIES LABELS packaging SKIP_RETURN_CODE 77
    DEPENDS packaging.install TIMEOUT 600)
endif()

# scripts/vitals-backup against the fixture's PostgreSQL: back up a running hub's database,
# restore it into a fresh one, start a hub on it (tests/packaging/backup_restore_test.sh).
if(TARGET vitals-agent AND TARGET vitals-hub AND DEFINED VITALS_TEST_RUN)
  add_test(NAME integration.backup_restore
           COMMAND ${CMAKE_SOURCE_DIR}/tests/packaging/backup_restore_test.sh ${CMAKE_BINARY_DIR}
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(integration.backup_restore PROPERTIES LABELS integration
    FIXTURES_REQUIRED vitals_services RESOURCE_LOCK vitals_services
    ENVIRONMENT VITALS_TEST_RUN=${VITALS_TEST_RUN} TIMEOUT 300)
endif()
