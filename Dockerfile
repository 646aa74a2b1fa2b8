# The sg-executor-gen image: the statically linked release binary and nothing else, no base
# image. Its default command is `fn`, so it is a KRM function as it stands (kpt runs function
# images with no arguments, as --user nobody, without network); any other subcommand is an
# argument away:
#
#   kpt fn eval PKG --image IMAGE --fn-config executor.yaml
#   docker run --rm -i IMAGE render -f - < executor.yaml
#   docker run --rm -v "$PWD:/src" -w /src IMAGE diff -f executor.yaml --golden deploy/executors
#
# Build it from the release binaries, one per platform (BuildKit, the default builder since
# Docker 23, sets TARGETARCH):
#
#   .ci/release-build x86_64-unknown-linux-gnu      # writes dist/linux-amd64/sg-executor-gen
#   docker build -t sg-executor-gen .
#
# packaging/image/passwd names `nobody` (65534), the user kpt asks for by name, and the user
# the image runs as.
FROM scratch
ARG TARGETARCH
COPY --chmod=0555 dist/linux-${TARGETARCH}/sg-executor-gen /usr/local/bin/sg-executor-gen
COPY packaging/image/passwd packaging/image/group /etc/
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/sg-executor-gen"]
CMD ["fn"]
