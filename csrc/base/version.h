#ifndef VSS_VERSION_H
#define VSS_VERSION_H
#define VSS_VERSION "0.1.0-dev"
#endif
