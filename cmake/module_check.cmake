# Run at build time by bw_module() (CMakeLists.txt): fails when a file of module MODULE
# includes a header of another module that MODULE does not declare as a dependency.
# Because dependencies can only name modules defined before (bw_module checks that), an
# undeclared include is the only way a cycle could form: this makes it a build error.
#   -DMODULE=dhcp -DALLOWED="core|profile|store" -DFILES="a.c|a.h" -DSTAMP=file
string(REPLACE "|" ";" FILES "${FILES}")
string(REPLACE "|" ";" ALLOWED "${ALLOWED}")
set(bad "")
foreach(f IN LISTS FILES)
	file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[a-z_]+/")
	foreach(l IN LISTS lines)
		string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([a-z_]+)/.*" "\\1" dir "${l}")
		if(NOT dir STREQUAL MODULE)
			list(FIND ALLOWED "${dir}" i)
			if(i LESS 0)
				string(APPEND bad "\n  ${f}: includes ${dir}/, which module ${MODULE} does not depend on")
			endif()
		endif()
	endforeach()
endforeach()
if(bad)
	message(FATAL_ERROR "module dependencies broken:${bad}\n"
		"Declare the dependency in CMakeLists.txt (bw_module ${MODULE} DEPS ...) if it "
		"creates no cycle, or move what both need down into core/ or up into profile/.")
endif()
file(WRITE "${STAMP}" "ok\n")
