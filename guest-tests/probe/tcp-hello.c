// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-hello: a dynamically linked program that prints "hello". The guest gets it with
 * the host's dynamic loader and libc, so that the tests can run a program through
 * ld.so directly (`ld.so PROGRAM`), the way an agent would dodge an exec check.
 */
#include <stdio.h>

int main(void)
{
	puts("hello");
	return 0;
}
