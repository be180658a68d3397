/* Runs a fuzz target's LLVMFuzzerTestOneInput() on every file named on the command line or
 * found in a directory named there (not recursive), so the corpus is replayed on every build
 * without libFuzzer. Each input is passed in a buffer of exactly its size. Exits non-zero when
 * nothing was replayed: an empty or missing corpus is a mistake, not a pass. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;
	int r = -EIO;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out_close;
	/* malloc(0) may return NULL; keep one byte but pass size 0. */
	buf = malloc(size ? (size_t)size : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out_close;
	}
	if (size && fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto out_free;
	fprintf(stderr, "replay: %s (%ld bytes)\n", path, size);
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	r = 0;
out_free:
	free(buf);
out_close:
	fclose(f);
	if (r < 0)
		fprintf(stderr, "replay: %s: cannot read\n", path);
	return r;
}

static int replay_path(const char *path, unsigned *n_done)
{
	struct stat st;
	struct dirent **names;
	int n, r = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = replay_file(path);
		if (r == 0)
			(*n_done)++;
		return r;
	}
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		char full[4096];
		if (names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name) <
		        sizeof(full) &&
		    stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(full) == 0)
				(*n_done)++;
			else
				r = -EIO;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	unsigned n_done = 0;
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &n_done) < 0)
			failed = 1;
	fprintf(stderr, "replay: %u inputs, %s\n", n_done,
	        failed ? "some could not be read" : "no invariant broken");
	return failed || n_done == 0 ? 1 : 0;
}
