/* The service handler a restore uses unless told otherwise: systemctl,
 * run without a shell between, so a service name is never a command. */
#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/restore.h"

int vss_restore_systemctl(void *ud, const char *action, const char *service, vss_error *e)
{
    (void)ud;
    pid_t pid = fork();
    if (pid < 0)
        return vss_error_set(e, VSS_ESERVICE, "service '%s' %s: fork: %s", service, action,
                             strerror(errno));
    if (pid == 0) {
        char *const argv[] = {"systemctl", (char *)action, (char *)service, NULL};
        execvp(argv[0], argv);
        _exit(127); /* as a shell says "not found" */
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return vss_error_set(e, VSS_ESERVICE, "service '%s' %s: waitpid: %s", service, action,
                                 strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return VSS_OK;
    return vss_error_set(e, VSS_ESERVICE, "service '%s' %s: systemctl %s %s exited with %d", service,
                         action, action, service,
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}
