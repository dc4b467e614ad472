// Lets CMake create a library whose directory has no sources yet.
