# Deliberate lockdep splat (PROVOKE=1 only): a test module takes two mutexes
# in both orders.  The lockdep verdict of this run must fail.
ko=$RLOOP_REPO/tools/lockdep-inspect/provoke/lockdep_provoke.ko
[[ -f $ko ]] || fail "$ko not built"
insmod "$ko"
rmmod lockdep_provoke
dmesg | grep -q 'possible circular locking dependency' || fail "lockdep did not report the inversion"
echo "  provoked an AB-BA splat on purpose"
