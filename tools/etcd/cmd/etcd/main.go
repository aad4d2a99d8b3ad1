// Command etcd is the etcd server, built from the pinned go.etcd.io/etcd/server/v3 (what etcd's
// own main package does): the store of the Kubernetes API server in the Kubernetes driver's
// stories.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
