/* A thread calls c1 -> c2 -> c3, each calling leaf first, and c3 calls pthread_exit: the thread's
   body, c1, c2 and c3 never return.  Then main calls leaf 5 times. */
#include <pthread.h>
#include <stdio.h>

static volatile int sink;

__attribute__((noinline)) void leaf(void) { sink++; }
__attribute__((noinline)) void c3(void) { leaf(); pthread_exit(NULL); }
__attribute__((noinline)) void c2(void) { leaf(); c3(); sink++; }
__attribute__((noinline)) void c1(void) { leaf(); c2(); sink++; }

static void *body(void *arg)
{
    (void)arg;
    c1();
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, body, NULL);
    pthread_join(t, NULL);
    for (int i = 0; i < 5; i++)
        leaf();
    printf("done\n");
    return 0;
}
