// A config.json that sets every field krill models, in the form spec_to_json
// writes it back (so parse + serialize must reproduce it exactly).
#pragma once

namespace krill::oci::testing {

// Every field krill models, in the form spec_to_json writes it back.
inline constexpr const char* kFullConfig = R"json({
  "ociVersion": "1.3.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [5, 6], "username": "me"},
    "args": ["sh", "-c", "true"],
    "commandLine": "sh -c true",
    "env": ["PATH=/bin", "TERM=xterm"],
    "cwd": "/root",
    "capabilities": {
      "bounding": ["CAP_KILL"],
      "effective": ["CAP_KILL", "CAP_CHOWN"],
      "inheritable": ["CAP_NET_RAW"],
      "permitted": ["CAP_KILL"],
      "ambient": ["CAP_BPF"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "noNewPrivileges": true,
    "apparmorProfile": "acme",
    "oomScoreAdj": -500,
    "selinuxLabel": "system_u:system_r:svirt_lxc_net_t:s0:c124,c675",
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 3,
                  "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 10, "deadline": 20,
                  "period": 30},
    "ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 4},
    "execCPUAffinity": {"initial": "7", "final": "0-3,7"}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.test",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "none", "source": "/volumes/data",
     "options": ["rbind", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]}
  ],
  "hooks": {
    "prestart": [{"path": "/bin/pre", "args": ["pre", "1"], "env": ["A=1"], "timeout": 5}],
    "createRuntime": [{"path": "/bin/cr"}],
    "createContainer": [{"path": "/bin/cc"}],
    "startContainer": [{"path": "/bin/sc"}],
    "poststart": [{"path": "/bin/ps", "timeout": 1}],
    "poststop": [{"path": "/bin/pst"}]
  },
  "annotations": {"com.example.key": "value", "org.opencontainers.image.os": "linux"},
  "linux": {
    "devices": [
      {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0,
       "gid": 0},
      {"path": "/dev/fifo", "type": "p", "major": 0, "minor": 0}
    ],
    "netDevices": {"eth1": {"name": "ctr1"}, "ens4": {}},
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
    "cgroupsPath": "/krill/c1",
    "resources": {
      "devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
        {"allow": true, "type": "b", "major": 8}
      ],
      "memory": {"limit": 9223372036854775807, "reservation": 1024, "swap": -1, "kernel": -1,
                 "kernelTCP": 0, "swappiness": 60, "disableOOMKiller": true,
                 "useHierarchy": false, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": -1, "burst": 5000, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "2-3", "mems": "0",
              "idle": 1},
      "pids": {"limit": -1},
      "blockIO": {
        "weight": 10, "leafWeight": 20,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 300},
                         {"major": 8, "minor": 16, "weight": 500}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 1, "rate": 700}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 2, "rate": 800}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]
      },
      "hugepageLimits": [{"pageSize": "2MB", "limit": 9223372036854772000}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "rxe3": {"hcaObjects": 1}},
      "unified": {"io.weight": "100", "memory.high": "max"}
    },
    "rootfsPropagation": "slave",
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/agent.sock",
      "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
         "args": [{"index": 0, "value": 8, "valueTwo": 255, "op": "SCMP_CMP_MASKED_EQ"},
                  {"index": 1, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]},
        {"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}
      ]
    },
    "timeOffsets": {"boottime": {"secs": -604800, "nanosecs": 0},
                    "monotonic": {"secs": 172800, "nanosecs": 999999999}},
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/var/run/netns/a"}, {"type": "mount"},
      {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
    "intelRdt": {"closID": "guaranteed", "l3CacheSchema": "L3:0=7f0;1=1f",
                 "memBwSchema": "MB:0=20;1=70", "schemata": ["L2:0=f"],
                 "enableMonitoring": true},
    "personality": {"domain": "LINUX32"},
    "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "2-3",
                     "flags": ["MPOL_F_STATIC_NODES"]}
  }
})json";

}  // namespace krill::oci::testing
