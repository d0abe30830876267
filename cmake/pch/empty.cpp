// Empty: the translation unit that compiles a shared precompiled header (cmake/build_speed.cmake).
