#!/bin/sh
# Builds the file tree that the container image adds on top of `scratch` (mvn -Pimage package, see README):
#   /opt/java          a Java runtime made by jlink from the building JDK (only the modules the issuer uses)
#   /lib*, /usr/lib*   the shared libraries that runtime needs (the dynamic loader, glibc, zlib), found with ldd
#   /tmp, /data        writable directories (Java's temporary files; the issuer's data directory)
# No base image is pulled: nothing but Maven Central is needed to build the image.
set -eu
out="$1"
modules=java.base,java.compiler,java.instrument,java.logging,java.management,java.naming,java.net.http,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.transaction.xa,java.xml,jdk.crypto.ec,jdk.management,jdk.naming.dns,jdk.unsupported,jdk.zipfs
rm -rf "$out"
mkdir -p "$out/opt" "$out/tmp" "$out/data"
"${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}/bin/jlink" \
  --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$out/opt/java"
# every shared library the runtime's executables and libraries load, with the path the loader looks for
for f in "$out/opt/java/bin/java" $(find "$out/opt/java/lib" -name '*.so'); do
  ldd "$f" 2>/dev/null | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}'
done | grep -v "^$out" | sort -u | while read -r lib; do
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
"$out/opt/java/bin/java" -version >/dev/null 2>&1
